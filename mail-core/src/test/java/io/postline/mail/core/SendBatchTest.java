package io.postline.mail.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.Recipient;
import io.postline.mail.SendFailedException;
import io.postline.mail.event.MailEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SendBatchTest {
  private final InMemoryProvider memory = new InMemoryProvider("memory");

  private static Email announcement() {
    return Email.builder().from("news@example.org").to("placeholder@example.org").cc("boss@example.org")
        .template("welcome", Map.of("plan", "Free")).idempotencyKey("launch-2026").build();
  }

  @Test
  void sendsOneMessagePerRecipientWithItsOwnModel() {
    List<Recipient> recipients = List.of(
        Recipient.of("ann@example.org", Map.of("name", "Ann")),
        Recipient.of("bob@example.org", Map.of("name", "Bob", "plan", "Pro")));
    try (Mailer mailer = Mailer.builder().provider(memory).build()) {
      BatchResult result = mailer.sendBatch(announcement(), recipients);

      assertThat(result.allSent()).isTrue();
      assertThat(result.items()).extracting(i -> i.recipient().email())
          .containsExactly("ann@example.org", "bob@example.org");
      assertThat(result.items()).allSatisfy(item -> assertThat(mailer.audit()
              .find(item.result().orElseThrow().mailId().orElseThrow()))
          .as("each message's whole story").extracting(MailEvent::type).containsExactly("sending", "sent"));
    }
    assertThat(memory.sentTo("ann@example.org")).singleElement().satisfies(e -> {
      assertThat(e.recipients()).extracting(a -> a.email()).containsExactly("ann@example.org");
      assertThat(e.text()).contains("Hello Ann, your plan is Free.\n");
      assertThat(e.idempotencyKey()).contains("launch-2026/ann@example.org");
    });
    assertThat(memory.sentTo("bob@example.org")).singleElement()
        .satisfies(e -> assertThat(e.text()).contains("Hello Bob, your plan is Pro.\n"));
    assertThat(memory.sentTo("boss@example.org")).as("the email's own cc is replaced").isEmpty();
  }

  @Test
  void oneFailureDoesNotStopTheOthers() {
    memory.reject("bob@example.org");
    List<Recipient> recipients = new ArrayList<>();
    for (String name : List.of("ann", "bob", "cid", "dan")) {
      recipients.add(Recipient.of(name + "@example.org", Map.of("name", name)));
    }
    try (Mailer mailer = Mailer.builder().provider(memory).asyncThreads(2).build()) {
      BatchResult result = mailer.sendBatch(announcement(), recipients);

      assertThat(result.sent()).hasSize(3);
      assertThat(result.failed()).singleElement().satisfies(item -> {
        assertThat(item.recipient().email()).isEqualTo("bob@example.org");
        assertThat(item.failure()).get().isInstanceOfSatisfying(SendFailedException.class,
            e -> assertThat(e.kind()).isEqualTo(FailureKind.RECIPIENTS_REJECTED));
      });
    }
    assertThat(memory.sent()).hasSize(3);
  }

  @Test
  void aRecipientThatCannotBeRenderedFailsAloneWithTheReason() {
    List<Recipient> recipients = List.of(
        Recipient.of("ann@example.org", Map.of("name", "Ann")),
        Recipient.of("bob@example.org", Map.of()));
    try (Mailer mailer = Mailer.builder().provider(memory).build()) {
      BatchResult result = mailer.sendBatch(announcement(), recipients);

      assertThat(result.items().get(0).isSent()).isTrue();
      assertThat(result.items().get(1).failure()).get()
          .isInstanceOf(TemplateException.class)
          .extracting(Throwable::getMessage).asString().contains("'name'");
    }
  }

  @Test
  void recipientValuesWithoutATemplateAreAProblem() {
    Email plain = Email.builder().from("news@example.org").to("x@example.org").subject("Hi").text("Hello").build();
    try (Mailer mailer = Mailer.builder().provider(memory).build()) {
      BatchResult result = mailer.sendBatch(plain,
          List.of(Recipient.of("ann@example.org"), Recipient.of("bob@example.org", Map.of("name", "Bob"))));

      assertThat(result.items().get(0).isSent()).isTrue();
      assertThat(result.items().get(1).failure()).get()
          .isInstanceOfSatisfying(InvalidEmailException.class,
              e -> assertThat(e.problems()).singleElement().asString().contains("has template values but the email has no template"));
    }
  }

  @Test
  void aLargeBatchNeverOverflowsTheAsyncQueue() {
    List<Recipient> recipients = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      recipients.add(Recipient.of("user" + i + "@example.org", Map.of("name", "User " + i)));
    }
    try (Mailer mailer = Mailer.builder().provider(memory).asyncThreads(2).asyncQueueCapacity(4).build()) {
      BatchResult result = mailer.sendBatch(announcement(), recipients);
      assertThat(result.allSent()).isTrue();
    }
    assertThat(memory.sent()).hasSize(2_000);
  }
}
