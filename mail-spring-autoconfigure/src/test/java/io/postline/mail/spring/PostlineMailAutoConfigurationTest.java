package io.postline.mail.spring;

import static io.postline.mail.spring.TestSupport.box;
import static io.postline.mail.spring.TestSupport.email;
import static io.postline.mail.spring.TestSupport.emailBuilder;
import static io.postline.mail.spring.TestSupport.outbox;
import static io.postline.mail.spring.TestSupport.runner;
import static io.postline.mail.spring.TestSupport.templated;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.postline.mail.FailureKind;
import io.postline.mail.Priority;
import io.postline.mail.SendFailedException;
import io.postline.mail.SendResult;
import io.postline.mail.core.AuditLog;
import io.postline.mail.core.DeadLetter;
import io.postline.mail.core.HealthStatus;
import io.postline.mail.core.IdempotencyStore;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.ProviderHealth;
import io.postline.mail.core.QueueFullException;
import io.postline.mail.event.MailEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.MDC;

/** The Mailer the properties describe: defaults and the effect of each property. */
class PostlineMailAutoConfigurationTest {

  @Test
  void noProviderMeansNoMailer() {
    runner().run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context).doesNotHaveBean(Mailer.class);
      assertThat(context).doesNotHaveBean(IdempotencyStore.class);
    });
  }

  @Test
  void disabledMeansNoMailer() {
    runner().withPropertyValues("postline.mail.enabled=false", "postline.mail.providers.a.dsn=memory://" + outbox())
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(Mailer.class));
  }

  @Test
  void defaults() {
    String out = outbox();
    runner().withPropertyValues("postline.mail.providers.primary.dsn=memory://" + out).run(context -> {
      assertThat(context).hasSingleBean(Mailer.class).hasSingleBean(IdempotencyStore.class).hasSingleBean(AuditLog.class);
      assertThat(context.getBean(IdempotencyStore.class).getClass().getSimpleName()).isEqualTo("InMemoryIdempotencyStore");
      assertThat(context.getBean(AuditLog.class).getClass().getSimpleName()).isEqualTo("InMemoryAuditLog");
      PostlineMailProperties properties = context.getBean(PostlineMailProperties.class);
      assertThat(properties.getTemplates().getLocation()).isEqualTo("classpath:mail/");
      assertThat(properties.getQueue().getType()).isEqualTo(PostlineMailProperties.Store.MEMORY);
      assertThat(properties.isMaskRecipients()).isTrue();
      Mailer mailer = context.getBean(Mailer.class);

      SendResult result = mailer.send(email("ann@example.org"));
      assertThat(result.provider()).isEqualTo("primary");
      assertThat(box(out).sent()).hasSize(1);

      // default templates location: classpath:mail/
      mailer.send(templated("bob@example.org", "welcome", Map.of("name", "Bob")));
      assertThat(box(out).lastSent().orElseThrow().subject()).contains("Welcome, Bob");

      // default queue: in memory, worked by the mailer's workers
      String id = mailer.enqueue(email("cy@example.org")).id();
      box(out).awaitSent(3, Duration.ofSeconds(10));
      await().atMost(Duration.ofSeconds(10)).until(() -> mailer.audit().find(id).stream()
          .anyMatch(e -> e instanceof MailEvent.Sent));

      assertThat(mailer.health().status()).isEqualTo(HealthStatus.UP);
      assertThat(mailer.health().providers()).extracting(ProviderHealth::provider).containsExactly("primary");
    });
  }

  @Test
  void mailerIsClosedWithTheContext() {
    Mailer[] holder = new Mailer[1];
    runner().withPropertyValues("postline.mail.providers.primary.dsn=memory://" + outbox())
        .run(context -> holder[0] = context.getBean(Mailer.class));
    assertThatThrownBy(() -> holder[0].send(email("ann@example.org"))).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void providerFromFields() {
    String out = outbox();
    runner().withPropertyValues("postline.mail.providers.fielded.scheme=memory",
        "postline.mail.providers.fielded.host=" + out).run(context -> {
          SendResult result = context.getBean(Mailer.class).send(email("ann@example.org"));
          assertThat(result.provider()).isEqualTo("fielded");
          assertThat(box(out).sent()).hasSize(1);
        });
  }

  @Test
  void providersAreTriedInTheOrderDeclared() {
    String a = outbox();
    String b = outbox();
    runner().withPropertyValues("postline.mail.providers.first.dsn=memory://" + a,
        "postline.mail.providers.second.dsn=memory://" + b, "postline.mail.retry.max-attempts=1").run(context -> {
          box(a).failNext(1, FailureKind.PROVIDER_UNAVAILABLE);
          Mailer mailer = context.getBean(Mailer.class);
          assertThat(mailer.send(email("ann@example.org")).provider()).isEqualTo("second");
          assertThat(mailer.send(email("ann@example.org")).provider()).isEqualTo("first");
        });
  }

  @Test
  void routingOrder() {
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(),
        "postline.mail.providers.b.dsn=memory://" + outbox(), "postline.mail.routing.order=b,a").run(context ->
        assertThat(context.getBean(Mailer.class).send(email("ann@example.org")).provider()).isEqualTo("b"));
  }

  @Test
  void roundRobinByWeight() {
    String a = outbox();
    String b = outbox();
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + a,
        "postline.mail.providers.a.weight=3", "postline.mail.providers.b.dsn=memory://" + b,
        "postline.mail.routing.strategy=round-robin").run(context -> {
          Mailer mailer = context.getBean(Mailer.class);
          for (int i = 0; i < 8; i++) {
            mailer.send(email("ann@example.org"));
          }
          assertThat(box(a).sent()).hasSize(6);
          assertThat(box(b).sent()).hasSize(2);
        });
  }

  @Test
  void routingRules() {
    runner().withPropertyValues("postline.mail.providers.main.dsn=memory://" + outbox(),
        "postline.mail.providers.bulk.dsn=memory://" + outbox(),
        "postline.mail.providers.fast.dsn=memory://" + outbox(),
        "postline.mail.providers.internal.dsn=memory://" + outbox(),
        "postline.mail.providers.billing.dsn=memory://" + outbox(),
        "postline.mail.routing.order=main",
        "postline.mail.routing.rules[0].tag=newsletter", "postline.mail.routing.rules[0].providers=bulk",
        "postline.mail.routing.rules[1].priority=high", "postline.mail.routing.rules[1].providers=fast,main",
        "postline.mail.routing.rules[2].domain=corp.example", "postline.mail.routing.rules[2].providers=internal",
        "postline.mail.routing.rules[3].caller=billing-service", "postline.mail.routing.rules[3].providers=billing")
        .run(context -> {
          Mailer mailer = context.getBean(Mailer.class);
          assertThat(mailer.send(emailBuilder("ann@example.org").tag("newsletter").build()).provider()).isEqualTo("bulk");
          assertThat(mailer.send(emailBuilder("ann@example.org").priority(Priority.HIGH).build()).provider())
              .isEqualTo("fast");
          assertThat(mailer.send(email("ann@corp.example")).provider()).isEqualTo("internal");
          assertThat(mailer.send(emailBuilder("ann@example.org").caller("billing-service").build()).provider())
              .isEqualTo("billing");
          assertThat(mailer.send(email("ann@example.org")).provider()).isEqualTo("main");
        });
  }

  @Test
  void rateLimitPerProvider() {
    String a = outbox();
    String b = outbox();
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + a,
        "postline.mail.providers.a.rate-limit.permits=1", "postline.mail.providers.a.rate-limit.period=1h",
        "postline.mail.providers.b.dsn=memory://" + b, "postline.mail.rate-limits.max-wait=0s").run(context -> {
          Mailer mailer = context.getBean(Mailer.class);
          assertThat(mailer.send(email("ann@example.org")).provider()).isEqualTo("a");
          assertThat(mailer.send(email("ann@example.org")).provider()).isEqualTo("b");
          assertThat(box(b).sent()).hasSize(1);
        });
  }

  @Test
  void timeoutPerProvider() {
    String slow = outbox();
    box(slow).latency(Duration.ofSeconds(20));
    runner().withPropertyValues("postline.mail.providers.slow.dsn=memory://" + slow,
        "postline.mail.providers.slow.timeout=100ms", "postline.mail.providers.quick.dsn=memory://" + outbox(),
        "postline.mail.retry.max-attempts=1").run(context -> {
          long started = System.nanoTime();
          SendResult result = context.getBean(Mailer.class).send(email("ann@example.org"));
          assertThat(result.provider()).isEqualTo("quick");
          assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        });
  }

  @Test
  void synchronousRetries() {
    String a = outbox();
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + a,
        "postline.mail.providers.b.dsn=memory://" + outbox(),
        "postline.mail.retry.max-attempts=3", "postline.mail.retry.initial-delay=5ms").run(context -> {
          box(a).failNext(2, FailureKind.TRANSIENT);
          SendResult result = context.getBean(Mailer.class).send(email("ann@example.org"));
          assertThat(result.provider()).isEqualTo("a");
          assertThat(result.attempts()).isEqualTo(3);
        });
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + a,
        "postline.mail.providers.b.dsn=memory://" + outbox(), "postline.mail.retry.max-attempts=1").run(context -> {
          box(a).failNext(1, FailureKind.TRANSIENT);
          assertThat(context.getBean(Mailer.class).send(email("ann@example.org")).provider()).isEqualTo("b");
        });
  }

  @Test
  void retryDeadlineBoundsASynchronousSend() {
    String a = outbox();
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + a,
        "postline.mail.retry.max-attempts=5", "postline.mail.retry.initial-delay=1s",
        "postline.mail.retry.deadline=200ms").run(context -> {
          box(a).failNext(5, FailureKind.TRANSIENT);
          long started = System.nanoTime();
          assertThatThrownBy(() -> context.getBean(Mailer.class).send(email("ann@example.org")))
              .isInstanceOf(SendFailedException.class);
          // without the deadline the retries would wait 1 + 2 + 4 + 8 s
          assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        });
  }

  @Test
  void circuitBreaker() {
    String a = outbox();
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + a,
        "postline.mail.providers.b.dsn=memory://" + outbox(), "postline.mail.retry.max-attempts=1",
        "postline.mail.circuit-breaker.sliding-window-size=2", "postline.mail.circuit-breaker.minimum-number-of-calls=2",
        "postline.mail.circuit-breaker.wait-duration-in-open-state=1h").run(context -> {
          Mailer mailer = context.getBean(Mailer.class);
          box(a).failNext(2, FailureKind.PROVIDER_UNAVAILABLE);
          mailer.send(email("ann@example.org"));
          mailer.send(email("ann@example.org"));
          ProviderHealth health = mailer.health().providers().get(0);
          assertThat(health.provider()).isEqualTo("a");
          assertThat(health.circuitState()).isEqualTo("OPEN");
          assertThat(mailer.health().status()).isEqualTo(HealthStatus.DEGRADED);
          assertThat(mailer.send(email("ann@example.org")).provider()).isEqualTo("b");
        });
  }

  @Test
  void templatesLocationStrictnessAndDefaultLocale() {
    String out = outbox();
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + out,
        "postline.mail.templates.location=classpath:other-mail/").run(context -> {
          context.getBean(Mailer.class).send(templated("ann@example.org", "welcome", Map.of("name", "Ann")));
          assertThat(box(out).lastSent().orElseThrow().subject()).contains("Other Ann");
        });
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + out,
        "postline.mail.templates.strict=false", "postline.mail.templates.default-locale=de").run(context -> {
          context.getBean(Mailer.class).send(templated("ann@example.org", "welcome", Map.of()));
          assertThat(box(out).lastSent().orElseThrow().subject()).hasValue("Willkommen,");
        });
  }

  @Test
  void templatesFromADirectory(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("note.subject.mustache"), "Note for {{name}}");
    Files.writeString(dir.resolve("note.text.mustache"), "Text");
    String out = outbox();
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + out,
        "postline.mail.templates.location=file:" + dir.toAbsolutePath()).run(context -> {
          context.getBean(Mailer.class).send(templated("ann@example.org", "note", Map.of("name", "Ann")));
          assertThat(box(out).lastSent().orElseThrow().subject()).contains("Note for Ann");
        });
  }

  @Test
  void queueCapacityWorkersAndRetries() {
    String out = outbox();
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + out,
        "postline.mail.queue.capacity=1").run(context -> {
          Mailer mailer = context.getBean(Mailer.class);
          mailer.enqueue(emailBuilder("ann@example.org").sendAt(Instant.now().plus(Duration.ofHours(1))).build());
          assertThatThrownBy(() -> mailer.enqueue(email("bob@example.org"))).isInstanceOf(QueueFullException.class);
        });
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + out, "postline.mail.queue.workers=1",
        "postline.mail.queue.retry.max-attempts=2", "postline.mail.queue.retry.initial-delay=10ms").run(context -> {
          Mailer mailer = context.getBean(Mailer.class);
          box(out).failNext(5, FailureKind.TRANSIENT);
          String id = mailer.enqueue(email("ann@example.org")).id();
          await().atMost(Duration.ofSeconds(10)).until(() -> !mailer.deadLetters().list(10).isEmpty());
          DeadLetter dead = mailer.deadLetters().list(10).get(0);
          assertThat(dead.id()).isEqualTo(id);
          assertThat(dead.attempts()).isEqualTo(2);
        });
  }

  @Test
  void correlationKeyIsCarriedWithQueuedMessages() {
    String out = outbox();
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + out,
        "postline.mail.correlation-key=requestId", "postline.mail.queue.retry.max-attempts=1").run(context -> {
          Mailer mailer = context.getBean(Mailer.class);
          box(out).failNext(1, FailureKind.PERMANENT);
          MDC.put("requestId", "req-42");
          try {
            mailer.enqueue(email("ann@example.org"));
          } finally {
            MDC.remove("requestId");
          }
          await().atMost(Duration.ofSeconds(10)).until(() -> !mailer.deadLetters().list(10).isEmpty());
          assertThat(mailer.deadLetters().list(10).get(0).mail().correlationId()).contains("req-42");
        });
  }

  @Test
  void idempotencyWindow() {
    String out = outbox();
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + out).run(context -> {
      Mailer mailer = context.getBean(Mailer.class);
      mailer.send(emailBuilder("ann@example.org").idempotencyKey("welcome-1").build());
      mailer.send(emailBuilder("ann@example.org").idempotencyKey("welcome-1").build());
      assertThat(box(out).sent()).hasSize(1);
    });
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + out,
        "postline.mail.idempotency.window=200ms").run(context -> {
          IdempotencyStore store = context.getBean(IdempotencyStore.class);
          assertThat(store.claim("k", "m1")).isEmpty();
          assertThat(store.claim("k", "m2")).isPresent();
          await().atMost(Duration.ofSeconds(5)).until(() -> store.find("k").isEmpty());
        });
  }

  @Test
  void auditRetentionSizeAndStore() {
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(),
        "postline.mail.audit.retention=200ms").run(context -> {
          AuditLog audit = context.getBean(AuditLog.class);
          audit.record(new MailEvent.Queued("m1", Instant.now(), Optional.empty(), Priority.NORMAL, Optional.empty()));
          assertThat(audit.find("m1")).hasSize(1);
          await().atMost(Duration.ofSeconds(5)).until(() -> audit.find("m1").isEmpty());
        });
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(),
        "postline.mail.audit.store=none").run(context -> {
          Mailer mailer = context.getBean(Mailer.class);
          String id = mailer.enqueue(email("ann@example.org")).id();
          assertThat(mailer.audit().find(id)).isEmpty();
        });
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(),
        "postline.mail.audit.store=log").run(context ->
        assertThat(context.getBean(AuditLog.class).getClass().getSimpleName()).isEqualTo("Slf4jAuditLog"));
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(), "postline.mail.audit.log=true")
        .run(context -> {
          Mailer mailer = context.getBean(Mailer.class);
          String id = mailer.enqueue(email("ann@example.org")).id();
          assertThat(mailer.audit().find(id)).isNotEmpty();
        });
  }

  @Test
  void listenersGetEveryEvent() {
    List<MailEvent> seen = new ArrayList<>();
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox())
        .withBean("recorder", io.postline.mail.event.MailListener.class, () -> seen::add).run(context -> {
          context.getBean(Mailer.class).send(email("ann@example.org"));
          assertThat(seen).anyMatch(e -> e instanceof MailEvent.Sent);
        });
  }

  @Test
  void defaultLocaleBindsFromText() {
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(),
        "postline.mail.templates.default-locale=de_CH").run(context ->
        assertThat(context.getBean(PostlineMailProperties.class).getTemplates().getDefaultLocale())
            .isEqualTo(new Locale("de", "CH")));
  }
}
