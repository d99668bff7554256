package io.postline.mail.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.Email;
import io.postline.mail.Recipient;
import io.postline.mail.RecipientsSuppressedException;
import io.postline.mail.core.AddressHasher;
import io.postline.mail.core.BatchResult;
import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.Receipt;
import io.postline.mail.core.SuppressionEntry;
import io.postline.mail.core.SuppressionList;
import io.postline.mail.event.MailEvent;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The whole loop on real components: a group send through a mailer, the provider's signed webhook
 * for it (bounce on one recipient), {@link DeliveryFeedback} with the mailer, then the audit trail
 * and the next group sends.
 */
class FeedbackLoopTest {
  final InMemoryProvider memory = new InMemoryProvider("memory");
  final SuppressionList suppressions = SuppressionList.inMemory(
      AddressHasher.hmacSha256("feedback-loop-test-key-of-32-bytes-or-more".getBytes(StandardCharsets.UTF_8)),
      Clock.systemUTC());
  final Mailer mailer = Mailer.builder().provider(memory).suppressionList(suppressions).build();
  final KeyPair keys = SendGridWebhookTest.ecKeys();
  final SendGridWebhook webhook = SendGridWebhook.builder(SendGridWebhookTest.publicKey(keys)).build();
  final DeliveryFeedback feedback = DeliveryFeedback.builder(suppressions).mailer(mailer).build();

  @AfterEach
  void close() {
    mailer.close();
  }

  /** The mail id the provider was given for {@code address}'s copy: what SendGrid echoes back in custom args. */
  String mailIdSentTo(String address) {
    return memory.sentTo(address).get(0).metadata().get(DeliveryEvent.MAIL_ID_KEY);
  }

  List<DeliveryEvent> webhook(String json) {
    String ts = Long.toString(System.currentTimeMillis() / 1000);
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    return webhook.verify(SendGridWebhookTest.request(SendGridWebhookTest.sign(keys, ts, body), ts, body));
  }

  @Test
  void aBounceOnOneRecipientOfAGroupSendEndsItsStoryAndDropsItFromTheNextSends() {
    Email group = Email.builder().from("news@example.org").subject("Launch").text("We launched").build();
    List<Recipient> recipients = List.of(Recipient.of("ann@example.org"), Recipient.of("bob@example.org"),
        Recipient.of("cy@example.org"));
    BatchResult first = mailer.sendBatch(group, recipients);
    assertThat(first.allSent()).isTrue();
    String ann = mailIdSentTo("ann@example.org");
    String bob = mailIdSentTo("bob@example.org");
    assertThat(first.items()).extracting(i -> i.result().orElseThrow().mailId().orElseThrow())
        .as("the provider got each copy's own mail id").containsExactly(ann, bob, mailIdSentTo("cy@example.org"));

    List<SuppressionEntry> added = feedback.accept(webhook("""
        [{"email":"ann@example.org","timestamp":%d,"event":"delivered","response":"250 OK","postline_mail_id":"%s"},
         {"email":"bob@example.org","timestamp":%d,"event":"bounce","type":"bounce","status":"5.1.1",
          "reason":"550 5.1.1 user unknown","postline_mail_id":"%s"}]
        """.formatted(System.currentTimeMillis() / 1000, ann, System.currentTimeMillis() / 1000, bob)));

    assertThat(added).singleElement().extracting(SuppressionEntry::reason).isEqualTo(SuppressionEntry.Reason.HARD_BOUNCE);
    assertThat(mailer.audit().find(ann)).extracting(MailEvent::type).containsExactly("sending", "sent", "delivery");
    assertThat(last(mailer.audit().find(ann)).status()).isEqualTo(MailEvent.Delivery.Status.DELIVERED);
    assertThat(last(mailer.audit().find(bob)).status()).isEqualTo(MailEvent.Delivery.Status.BOUNCED);
    assertThat(last(mailer.audit().find(bob)).smtpStatus()).contains("5.1.1");

    memory.clear();
    BatchResult second = mailer.sendBatch(group, recipients);
    assertThat(second.sent()).extracting(i -> i.recipient().email()).containsExactly("ann@example.org", "cy@example.org");
    assertThat(second.failed()).singleElement().satisfies(i -> assertThat(i.failure()).get()
        .isInstanceOf(RecipientsSuppressedException.class));

    memory.clear();
    List<Receipt> queued = mailer.enqueueBatch(group, recipients);
    assertThat(queued).extracting(r -> r.suppressed().size()).containsExactly(0, 1, 0);
    memory.awaitSent(2, Duration.ofSeconds(10));
    assertThat(memory.sentTo("bob@example.org")).isEmpty();
  }

  @Test
  void eventsWithoutAMailIdStillFeedTheListButTouchNoTrail() {
    String id = mailer.send(Email.builder().from("news@example.org").to("dee@example.org").subject("s").text("t")
        .build()).mailId().orElseThrow();

    feedback.accept(webhook("""
        [{"email":"dee@example.org","timestamp":%d,"event":"spamreport"}]
        """.formatted(System.currentTimeMillis() / 1000)));

    assertThat(mailer.audit().find(id)).extracting(MailEvent::type).containsExactly("sending", "sent");
    assertThat(suppressions.count()).isEqualTo(1);
  }

  private static MailEvent.Delivery last(List<MailEvent> trail) {
    assertThat(trail).isNotEmpty();
    assertThat(trail.get(trail.size() - 1)).isInstanceOf(MailEvent.Delivery.class);
    return (MailEvent.Delivery) trail.get(trail.size() - 1);
  }
}
