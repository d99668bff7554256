package io.postline.mail.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.SendFailedException;
import io.postline.mail.SendResult;
import io.postline.mail.event.MailEvent;
import io.postline.mail.spi.Capabilities;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

class MailerTest {
  private final InMemoryProvider primary = new InMemoryProvider("primary");
  private final InMemoryProvider backup = new InMemoryProvider("backup");
  private final RecordingListener listener = new RecordingListener();

  private static Email email() {
    return Email.builder().from("shop@example.org").to("ann@example.org")
        .subject("Hi").text("Hello Ann").caller("test-suite").build();
  }

  private Mailer mailer() {
    return Mailer.builder().provider(primary).provider(backup).listener(listener).build();
  }

  @Test
  void sendsThroughTheFirstProviderAndReportsEvents() {
    try (Mailer mailer = mailer()) {
      SendResult result = mailer.send(email());

      assertThat(result.provider()).isEqualTo("primary");
      assertThat(result.attempts()).isEqualTo(1);
      assertThat(result.accepted()).extracting(a -> a.email()).containsExactly("ann@example.org");
      assertThat(primary.sent()).as("a provider without delivery webhooks gets the email as the application built it")
          .containsExactly(email());
      assertThat(backup.sent()).isEmpty();
      assertThat(listener.types()).containsExactly("sending", "sent");
      MailEvent.Sent sent = listener.ofType(MailEvent.Sent.class).get(0);
      assertThat(sent.caller()).contains("test-suite");
      assertThat(sent.providerMessageId()).isEqualTo(result.messageId());
      assertThat(listener.events()).extracting(MailEvent::mailId).containsOnly(sent.mailId());
      assertThat(result.mailId()).contains(sent.mailId());
      assertThat(mailer.audit().find(result.mailId().orElseThrow())).extracting(MailEvent::type)
          .containsExactly("sending", "sent");
    }
  }

  @Test
  void failsOverWhenTheProviderIsUnavailable() {
    primary.failNext(1, FailureKind.PROVIDER_UNAVAILABLE);
    try (Mailer mailer = mailer()) {
      SendResult result = mailer.send(email());

      assertThat(result.provider()).isEqualTo("backup");
      assertThat(result.attempts()).isEqualTo(2);
      assertThat(backup.sent()).hasSize(1);
      assertThat(listener.types()).containsExactly("sending", "attempt_failed", "failed_over", "sending", "sent");
      MailEvent.FailedOver over = listener.ofType(MailEvent.FailedOver.class).get(0);
      assertThat(over.fromProvider()).isEqualTo("primary");
      assertThat(over.toProvider()).isEqualTo("backup");
      assertThat(over.reason()).contains("PROVIDER_UNAVAILABLE");
    }
  }

  @Test
  void permanentFailureStopsWithoutFailover() {
    primary.failNext(1, FailureKind.PERMANENT);
    try (Mailer mailer = mailer()) {
      assertThatThrownBy(() -> mailer.send(email()))
          .isInstanceOfSatisfying(SendFailedException.class, e -> {
            assertThat(e.kind()).isEqualTo(FailureKind.PERMANENT);
            assertThat(e.provider()).isEqualTo("primary");
            assertThat(e.attempts()).isEqualTo(1);
            assertThat(e.getMessage()).contains("primary", "injected", "retrying this message will not help");
            assertThat(e.mailId()).contains(listener.events().get(0).mailId());
          });
      assertThat(backup.sent()).isEmpty();
      assertThat(listener.types()).containsExactly("sending", "attempt_failed", "failed");
    }
  }

  @Test
  void whenEveryProviderFailsTheLastFailureIsReported() {
    primary.failNext(1, FailureKind.TRANSIENT);
    backup.failNext(1, FailureKind.RATE_LIMITED, Duration.ofSeconds(7));
    try (Mailer mailer = Mailer.builder().provider(primary).provider(backup).listener(listener)
        .retry(RetryPolicy.none()).build()) {
      assertThatThrownBy(() -> mailer.send(email()))
          .isInstanceOfSatisfying(SendFailedException.class, e -> {
            assertThat(e.kind()).isEqualTo(FailureKind.RATE_LIMITED);
            assertThat(e.provider()).isEqualTo("backup");
            assertThat(e.retryAfter()).contains(Duration.ofSeconds(7));
            assertThat(e.attempts()).isEqualTo(2);
          });
      MailEvent.Failed failed = listener.ofType(MailEvent.Failed.class).get(0);
      assertThat(failed.kind()).isEqualTo(FailureKind.RATE_LIMITED);
      assertThat(failed.attempts()).isEqualTo(2);
    }
  }

  @Test
  void skipsProvidersThatCannotCarryTheMessage() {
    primary.capabilities(Capabilities.builder().maxRecipients(1).build());
    Email two = email().toBuilder().cc("bob@example.org").build();
    try (Mailer mailer = mailer()) {
      assertThat(mailer.send(two).provider()).isEqualTo("backup");
    }
  }

  @Test
  void noProviderFitsIsAnInvalidEmailNamingEachProvider() {
    primary.capabilities(Capabilities.builder().attachments(false).build());
    backup.capabilities(Capabilities.builder().attachments(false).build());
    Email withFile = email().toBuilder()
        .attach(io.postline.mail.Attachment.of("a.txt", new byte[] {1}, "text/plain")).build();
    try (Mailer mailer = mailer()) {
      assertThatThrownBy(() -> mailer.send(withFile))
          .isInstanceOfSatisfying(InvalidEmailException.class, e -> assertThat(e.problems()).containsExactly(
              "provider primary: attachments are not supported",
              "provider backup: attachments are not supported"));
      assertThat(listener.events()).isEmpty();
    }
  }

  @Test
  void aScheduledEmailNeedsAProviderThatCanHoldIt() {
    Capabilities noScheduling = Capabilities.builder().build();
    primary.capabilities(noScheduling);
    backup.capabilities(noScheduling);
    Email later = email().toBuilder().sendAt(Instant.now().plus(Duration.ofHours(2))).build();
    try (Mailer mailer = mailer()) {
      assertThatThrownBy(() -> mailer.send(later))
          .isInstanceOf(InvalidEmailException.class)
          .hasMessageContaining("cannot hold a message until sendAt; enqueue it instead");
    }
  }

  @Test
  void aProviderWithSchedulingGetsTheScheduledEmail() {
    Instant at = Instant.now().plus(Duration.ofHours(2));
    try (Mailer mailer = mailer()) {
      mailer.send(email().toBuilder().sendAt(at).build());
    }
    assertThat(primary.sent()).singleElement().satisfies(e -> assertThat(e.sendAt()).contains(at));
  }

  @Test
  void aListenerThatThrowsDoesNotFailTheSend() {
    try (Mailer mailer = Mailer.builder().provider(primary)
        .listener(e -> {
          throw new IllegalStateException("listener bug");
        })
        .listener(listener).build()) {
      assertThat(mailer.send(email()).provider()).isEqualTo("primary");
      assertThat(listener.types()).containsExactly("sending", "sent");
    }
  }

  @Test
  void anErrorFromAListenerOrAnAuditLogNeitherFailsTheSendNorStopsTheOthers() {
    AuditLog brokenAudit = new AuditLog() {
      @Override
      public void record(MailEvent event) {
        throw new NoClassDefFoundError("io/example/Missing");
      }

      @Override
      public List<MailEvent> find(String mailId) {
        return List.of();
      }
    };
    try (Mailer mailer = Mailer.builder().provider(primary).audit(brokenAudit)
        .listener(e -> {
          throw new AssertionError("listener bug");
        })
        .listener(listener).build()) {
      SendResult result = mailer.send(email());
      assertThat(result.provider()).isEqualTo("primary");
      assertThat(listener.types()).containsExactly("sending", "sent");
      assertThat(mailer.send(email()).provider()).as("the mailer still works").isEqualTo("primary");
    }
  }

  @Test
  void aProviderThatThrowsUncheckedIsClassifiedTransientAndFailedOver() {
    var broken = new io.postline.mail.spi.MailProvider() {
      @Override
      public String name() {
        return "broken";
      }

      @Override
      public Capabilities capabilities() {
        return Capabilities.unlimited();
      }

      @Override
      public SendResult send(Email email) {
        throw new IllegalStateException("secret=" + TestSecrets.IN_EXCEPTION + "");
      }
    };
    try (Mailer mailer = Mailer.builder().provider(broken).provider(backup).listener(listener)
        .retry(RetryPolicy.none()).build()) {
      assertThat(mailer.send(email()).provider()).isEqualTo("backup");
    }
    MailEvent.AttemptFailed failed = listener.ofType(MailEvent.AttemptFailed.class).get(0);
    assertThat(failed.kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(failed.reason()).contains("IllegalStateException").doesNotContain(TestSecrets.IN_EXCEPTION);
  }

  @Test
  void providersFromDsnShareANamedOutbox() {
    InMemoryProvider outbox = InMemoryProvider.named("mailer-test-outbox").reset();
    try (Mailer mailer = Mailer.builder().provider("primary", "memory://mailer-test-outbox").build()) {
      assertThat(mailer.send(email()).provider()).isEqualTo("primary");
    }
    assertThat(outbox.sent()).hasSize(1);
  }

  @Test
  void sendAsyncCompletesWithTheResultOrTheFailure() {
    try (Mailer mailer = mailer()) {
      assertThat(mailer.sendAsync(email()).join().provider()).isEqualTo("primary");

      primary.failNext(1, FailureKind.PERMANENT);
      CompletableFuture<SendResult> failing = mailer.sendAsync(email());
      assertThatThrownBy(failing::join)
          .isInstanceOf(CompletionException.class)
          .hasCauseInstanceOf(SendFailedException.class);
    }
  }

  @Test
  void closeWaitsForAsyncSendsInFlight() {
    primary.latency(Duration.ofMillis(200));
    List<CompletableFuture<SendResult>> futures = new ArrayList<>();
    Mailer mailer = Mailer.builder().provider(primary).asyncThreads(2).build();
    for (int i = 0; i < 6; i++) {
      futures.add(mailer.sendAsync(email()));
    }
    mailer.close();

    assertThat(futures).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    assertThat(primary.sent()).hasSize(6);
  }

  @Test
  void closeWaitsForSendsQueuedOnTheCallersExecutor() {
    primary.latency(Duration.ofMillis(100));
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      Mailer mailer = Mailer.builder().provider(primary).executor(executor).build();
      List<CompletableFuture<SendResult>> futures = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        futures.add(mailer.sendAsync(email()));
      }
      mailer.close();
      assertThat(futures).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
      assertThat(executor.isShutdown()).as("the caller's executor is left alone").isFalse();
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void aClosedMailerRefusesWork() {
    Mailer mailer = mailer();
    mailer.close();
    mailer.close();
    assertThatThrownBy(() -> mailer.send(email()))
        .isInstanceOf(IllegalStateException.class).hasMessage("the Mailer is closed");
    assertThatThrownBy(() -> mailer.sendAsync(email())).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void closeLeavesWhatTheApplicationPassedInOpen() {
    List<String> closed = new ArrayList<>();
    MailQueue queue = new ForwardingMailQueue(MailQueue.inMemory()) {
      @Override
      public void close() {
        closed.add("queue");
      }
    };
    Mailer mailer = Mailer.builder()
        .provider(closeRecorder("a", closed))
        .provider(closeRecorder("b", closed))
        .queue(queue).build();
    mailer.close();
    assertThat(closed).as("providers and a queue the application made are the application's to close").isEmpty();
  }

  @Test
  void rendersTemplatesBeforeSending() {
    Email templated = Email.builder().from("shop@example.org").to("ann@example.org")
        .template("welcome", Map.of("name", "Ann", "plan", "Pro <gold>")).build();
    try (Mailer mailer = Mailer.builder().provider(primary).build()) {
      mailer.send(templated);
    }
    Email sent = primary.sent().get(0);
    assertThat(sent.subject()).contains("Welcome, Ann!");
    assertThat(sent.html()).contains("<p>Hello Ann, your plan is Pro &lt;gold&gt;.</p>\n");
    assertThat(sent.text()).contains("Hello Ann, your plan is Pro <gold>.\n");
    assertThat(sent.template()).isEmpty();
  }

  @Test
  void aTemplateVariableWithALineBreakInTheSubjectIsRejected() {
    Email templated = Email.builder().from("shop@example.org").to("ann@example.org")
        .template("welcome", Map.of("name", "Ann\r\nBcc: victim@example.org", "plan", "Pro")).build();
    try (Mailer mailer = Mailer.builder().provider(primary).build()) {
      assertThatThrownBy(() -> mailer.send(templated))
          .isInstanceOfSatisfying(InvalidEmailException.class, e -> assertThat(e.problems())
              .containsExactly("template welcome rendered into an invalid email: subject contains a line break"));
    }
    assertThat(primary.sent()).isEmpty();
  }

  @Test
  void secretsInTheDsnReachNoMessageOrToString() {
    String dsn = "memory://ops:" + TestSecrets.PASSWORD + "@secrets-outbox";
    InMemoryProvider outbox = InMemoryProvider.named("secrets-outbox").reset();
    outbox.failNext(3, FailureKind.TRANSIENT);
    try (Mailer mailer = Mailer.builder().provider("primary", dsn).retry(RetryPolicy.none()).listener(listener).build()) {
      assertThatThrownBy(() -> mailer.send(email()))
          .isInstanceOf(SendFailedException.class)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(TestSecrets.PASSWORD));
      assertThat(mailer.toString()).doesNotContain(TestSecrets.PASSWORD);
      assertThat(listener.events()).allSatisfy(e -> assertThat(e.toString()).doesNotContain(TestSecrets.PASSWORD));
    }
    assertThatThrownBy(() -> Mailer.builder().provider("bad", dsn + "?apiKey=" + TestSecrets.API_KEY).build())
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(TestSecrets.PASSWORD, TestSecrets.API_KEY)
            .contains("memory://ops:****@secrets-outbox?apiKey=****"));
  }

  @Test
  void builderRejectsBadConfigurationAtOnce() {
    assertThatThrownBy(() -> Mailer.builder().build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("at least one provider");
    assertThatThrownBy(() -> Mailer.builder().provider(primary).provider(new InMemoryProvider("primary")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'primary' is already used");
    assertThatThrownBy(() -> Mailer.builder().asyncThreads(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("was 0");
    assertThatThrownBy(() -> Mailer.builder().provider("p", "not a dsn"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scheme://");
  }

  private static io.postline.mail.spi.MailProvider closeRecorder(String name, List<String> closed) {
    return new io.postline.mail.spi.MailProvider() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Capabilities capabilities() {
        return Capabilities.unlimited();
      }

      @Override
      public SendResult send(Email email) {
        throw new UnsupportedOperationException();
      }

      @Override
      public void close() {
        closed.add(name);
      }
    };
  }
}
