package io.postline.mail.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.RecipientStatus;
import io.postline.mail.SendResult;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.ProviderException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class InMemoryProviderTest {
  private final InMemoryProvider memory = new InMemoryProvider("memory");

  private static Email email(String... to) {
    return Email.builder().from("shop@example.org").to(to).subject("Hi").text("Hello").build();
  }

  @Test
  void recordsWhatItSends() throws ProviderException {
    SendResult result = memory.send(email("ann@example.org"));

    assertThat(result.provider()).isEqualTo("memory");
    assertThat(result.messageId()).startsWith("<1.memory@");
    assertThat(memory.sent()).containsExactly(email("ann@example.org"));
    assertThat(memory.lastSent()).contains(email("ann@example.org"));
    assertThat(memory.sentTo("ANN@example.org")).hasSize(1);
    assertThat(memory.sentTo("bob@example.org")).isEmpty();
  }

  @Test
  void failNextFailsExactlyThatManySends() throws ProviderException {
    memory.failNext(2, FailureKind.RATE_LIMITED, Duration.ofSeconds(3));

    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> memory.send(email("ann@example.org")))
          .isInstanceOfSatisfying(ProviderException.class, e -> {
            assertThat(e.kind()).isEqualTo(FailureKind.RATE_LIMITED);
            assertThat(e.retryAfter()).contains(Duration.ofSeconds(3));
            assertThat(e.provider()).isEqualTo("memory");
          });
    }
    memory.send(email("ann@example.org"));
    assertThat(memory.sent()).hasSize(1);
  }

  @Test
  void rejectedRecipientsAreReportedAndTheOthersServed() throws ProviderException {
    memory.reject("bob@example.org");

    SendResult partial = memory.send(email("ann@example.org", "bob@example.org"));
    assertThat(partial.accepted()).extracting(a -> a.email()).containsExactly("ann@example.org");
    assertThat(partial.rejected()).singleElement().satisfies(r -> {
      assertThat(r.address().email()).isEqualTo("bob@example.org");
      assertThat(r.status()).isEqualTo(RecipientStatus.Status.REJECTED);
      assertThat(r.reason()).get().asString().startsWith("550");
    });

    assertThatThrownBy(() -> memory.send(email("bob@example.org")))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.kind()).isEqualTo(FailureKind.RECIPIENTS_REJECTED);
          assertThat(e.recipients()).hasSize(1);
        });
  }

  @Test
  void latencySlowsEverySend() throws ProviderException {
    memory.latency(Duration.ofMillis(50));
    long started = System.nanoTime();
    memory.send(email("ann@example.org"));
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(50));
  }

  @Test
  void capabilitiesAreEnforced() {
    memory.capabilities(Capabilities.builder().maxRecipients(1).build());
    assertThatThrownBy(() -> memory.send(email("ann@example.org", "bob@example.org")))
        .isInstanceOf(InvalidEmailException.class)
        .hasMessageContaining("provider memory: at most 1 recipients per message");
  }

  @Test
  void namedOutboxesAreShared() throws ProviderException {
    InMemoryProvider a = InMemoryProvider.named("shared-outbox-test").reset();
    InMemoryProvider b = InMemoryProvider.named("primary", "shared-outbox-test");
    b.send(email("ann@example.org"));
    assertThat(a.sent()).hasSize(1);
    assertThat(b.name()).isEqualTo("primary");
    assertThat(new InMemoryProvider("shared-outbox-test").sent()).as("a new instance is private").isEmpty();
  }

  @Test
  void awaitSentWaitsForMailFromOtherThreads() {
    CompletableFuture.runAsync(() -> {
      try {
        memory.latency(Duration.ofMillis(20)).send(email("ann@example.org"));
      } catch (ProviderException e) {
        throw new IllegalStateException(e);
      }
    });
    assertThat(memory.awaitSent(1, Duration.ofSeconds(5))).hasSize(1);
    assertThatThrownBy(() -> memory.awaitSent(2, Duration.ofMillis(10)))
        .isInstanceOf(AssertionError.class).hasMessageContaining("expected at least 2 sent emails");
  }

  @Test
  void clearKeepsFaultsAndResetForgetsThem() throws ProviderException {
    memory.send(email("ann@example.org"));
    memory.failNext(1, FailureKind.TRANSIENT).clear();
    assertThat(memory.sent()).isEmpty();
    assertThatThrownBy(() -> memory.send(email("ann@example.org"))).isInstanceOf(ProviderException.class);

    memory.failNext(5, FailureKind.TRANSIENT).reject("ann@example.org").reset();
    memory.send(email("ann@example.org"));
    assertThat(memory.sent()).hasSize(1);
  }
}
