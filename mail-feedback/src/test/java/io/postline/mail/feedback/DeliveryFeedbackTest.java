package io.postline.mail.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.Address;
import io.postline.mail.core.AddressHasher;
import io.postline.mail.core.SuppressionEntry;
import io.postline.mail.core.SuppressionEntry.Reason;
import io.postline.mail.core.SuppressionList;
import io.postline.mail.feedback.DeliveryEvent.Type;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DeliveryFeedbackTest {
  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  final SuppressionList suppressions = SuppressionList.inMemory(
      AddressHasher.hmacSha256("feedback-test-key-of-at-least-32-bytes".getBytes(StandardCharsets.UTF_8)),
      Clock.fixed(NOW, ZoneOffset.UTC));
  final List<DeliveryEvent> heard = new ArrayList<>();
  final DeliveryFeedback feedback = DeliveryFeedback.builder(suppressions)
      .softBounces(3, Duration.ofDays(7)).softBounceSuppression(Duration.ofDays(10))
      .listener(heard::add).listener(e -> {
        throw new IllegalStateException("a broken listener does not stop the others");
      }).build();

  static DeliveryEvent event(Type type, String address, Optional<String> list) {
    return new DeliveryEvent("ses", type, Address.of(address), Optional.of("mail-1"), list, Optional.empty(),
        NOW, Optional.empty(), Optional.empty());
  }

  @Test
  void aListenerThatThrowsAnErrorNeitherFailsTheEventNorStopsTheListenersAfterIt() {
    List<DeliveryEvent> after = new ArrayList<>();
    DeliveryFeedback withBrokenPlugin = DeliveryFeedback.builder(suppressions)
        .listener(e -> {
          throw new NoClassDefFoundError("io/example/Missing");
        })
        .listener(after::add).build();
    assertThat(withBrokenPlugin.accept(event(Type.HARD_BOUNCE, "cy@example.org", Optional.empty()))).isPresent();
    assertThat(after).hasSize(1);
  }

  @Test
  void hardBouncesAndComplaintsSuppressAllMail() {
    assertThat(feedback.accept(event(Type.HARD_BOUNCE, "ann@example.org", Optional.empty())))
        .get().extracting(SuppressionEntry::reason).isEqualTo(Reason.HARD_BOUNCE);
    feedback.accept(event(Type.COMPLAINED, "bob@example.org", Optional.of("news")));
    assertThat(suppressions.find(suppressions.hash(Address.of("ann@example.org")), null)).isPresent();
    SuppressionEntry complaint = suppressions.find(suppressions.hash(Address.of("bob@example.org")), "other").orElseThrow();
    assertThat(complaint.reason()).isEqualTo(Reason.COMPLAINT);
    assertThat(complaint.list()).isEmpty();
    assertThat(complaint.source()).isEqualTo("ses");
    assertThat(heard).hasSize(2);
  }

  @Test
  void unsubscribesSuppressTheirList() {
    feedback.accept(event(Type.UNSUBSCRIBED, "ann@example.org", Optional.of("news")));
    var ann = suppressions.hash(Address.of("ann@example.org"));
    assertThat(suppressions.find(ann, "news")).isPresent();
    assertThat(suppressions.find(ann, "billing")).isEmpty();
    feedback.accept(event(Type.UNSUBSCRIBED, "bob@example.org", Optional.empty()));
    assertThat(suppressions.find(suppressions.hash(Address.of("bob@example.org")), null)).isPresent();
  }

  @Test
  void softBouncesSuppressOnlyAfterTheConfiguredCountAndExpire() {
    DeliveryEvent soft = event(Type.SOFT_BOUNCE, "ann@example.org", Optional.empty());
    assertThat(feedback.accept(soft)).isEmpty();
    assertThat(feedback.accept(soft)).isEmpty();
    SuppressionEntry entry = feedback.accept(soft).orElseThrow();
    assertThat(entry.reason()).isEqualTo(Reason.SOFT_BOUNCES);
    assertThat(entry.expiresAt()).contains(NOW.plus(Duration.ofDays(10)));
    assertThat(suppressions.count()).isEqualTo(1);
  }

  @Test
  void otherEventsChangeNothing() {
    for (Type type : List.of(Type.DELIVERED, Type.DEFERRED, Type.OPENED, Type.CLICKED, Type.REJECTED)) {
      assertThat(feedback.accept(event(type, "ann@example.org", Optional.empty()))).isEmpty();
    }
    assertThat(suppressions.count()).isZero();
    assertThat(heard).hasSize(5);
  }
}
