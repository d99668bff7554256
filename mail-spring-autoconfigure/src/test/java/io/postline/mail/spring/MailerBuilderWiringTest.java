package io.postline.mail.spring;

import static io.postline.mail.spring.TestSupport.box;
import static io.postline.mail.spring.TestSupport.email;
import static io.postline.mail.spring.TestSupport.emailBuilder;
import static io.postline.mail.spring.TestSupport.outbox;
import static io.postline.mail.spring.TestSupport.runner;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postline.mail.FailureKind;
import io.postline.mail.core.ForwardingMailQueue;
import io.postline.mail.core.Lease;
import io.postline.mail.core.MailQueue;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.ProviderHealth;
import io.postline.mail.spi.MailProvider;
import java.io.InputStream;
import java.net.URL;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** What the properties and the application's beans become in the builder: registries, provider options, producer-only, meters, ownership. */
class MailerBuilderWiringTest {

  @Test
  void theApplicationsResilience4jRegistriesGetEachProvidersBreakerAndRetries() {
    CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
    RetryRegistry retries = RetryRegistry.ofDefaults();
    runner().withBean(CircuitBreakerRegistry.class, () -> breakers).withBean(RetryRegistry.class, () -> retries)
        .withPropertyValues("postline.mail.providers.primary.dsn=memory://" + outbox(),
            "postline.mail.providers.backup.dsn=memory://" + outbox())
        .run(context -> {
          assertThat(context).hasNotFailed();
          context.getBean(Mailer.class).send(email("ann@example.org"));
          assertThat(breakers.getAllCircuitBreakers()).extracting(CircuitBreaker::getName)
              .contains("primary", "backup");
          assertThat(retries.getAllRetries()).extracting(Retry::getName)
              .contains("primary", "primary.queued", "backup", "backup.queued");
        });
  }

  @Test
  void aProvidersOwnCircuitBreakerSettingsOverrideTheGlobalOnes() {
    String a = outbox();
    String[] common = {"postline.mail.providers.a.dsn=memory://" + a,
        "postline.mail.providers.b.dsn=memory://" + outbox(), "postline.mail.retry.max-attempts=1",
        "postline.mail.circuit-breaker.wait-duration-in-open-state=1h"};
    // Globally a window of 20 calls judged after 5: two failures leave the circuit closed ...
    runner().withPropertyValues(common).run(context -> {
      box(a).failNext(2, FailureKind.PROVIDER_UNAVAILABLE);
      assertThat(circuitAfterTwoSends(context.getBean(Mailer.class))).isEqualTo("CLOSED");
    });
    // ... while a's own window of 2, judged after 2, opens it.
    runner().withPropertyValues(common).withPropertyValues(
        "postline.mail.providers.a.circuit-breaker.sliding-window-size=2",
        "postline.mail.providers.a.circuit-breaker.minimum-number-of-calls=2").run(context -> {
          box(a).failNext(2, FailureKind.PROVIDER_UNAVAILABLE);
          assertThat(circuitAfterTwoSends(context.getBean(Mailer.class))).isEqualTo("OPEN");
        });
  }

  private static String circuitAfterTwoSends(Mailer mailer) {
    mailer.send(email("ann@example.org"));
    mailer.send(email("ann@example.org"));
    ProviderHealth a = mailer.health().providers().get(0);
    assertThat(a.provider()).isEqualTo("a");
    return a.circuitState();
  }

  @Test
  void zeroWorkersMakeAProducerOnlyMailer() {
    String out = outbox();
    CountingQueue queue = new CountingQueue();
    runner().withBean(MailQueue.class, () -> queue)
        .withPropertyValues("postline.mail.providers.a.dsn=memory://" + out, "postline.mail.queue.workers=0")
        .run(context -> {
          Mailer mailer = context.getBean(Mailer.class);
          String id = mailer.enqueue(email("ann@example.org")).id();
          assertThat(id).isNotBlank();
          mailer.send(email("bob@example.org"));
          assertThat(mailer.queueCounts().pending()).isEqualTo(1);
        });
    // A worker takes as soon as the Mailer is built; by the context's end none has.
    assertThat(queue.takes.get()).isZero();
    assertThat(box(out).sent()).extracting(e -> e.to().get(0).email()).containsExactly("bob@example.org");

    // The same with one worker: the message is taken and sent.
    String worked = outbox();
    CountingQueue other = new CountingQueue();
    runner().withBean(MailQueue.class, () -> other)
        .withPropertyValues("postline.mail.providers.a.dsn=memory://" + worked, "postline.mail.queue.workers=1")
        .run(context -> {
          context.getBean(Mailer.class).enqueue(email("ann@example.org"));
          box(worked).awaitSent(1, Duration.ofSeconds(10));
        });
    assertThat(other.takes.get()).isPositive();
  }

  /** An in-memory queue counting the takes of workers. */
  static final class CountingQueue extends ForwardingMailQueue {
    final AtomicInteger takes = new AtomicInteger();

    CountingQueue() {
      super(MailQueue.inMemory());
    }

    @Override
    public Optional<Lease> take(Duration wait, Duration leaseFor) throws InterruptedException {
      takes.incrementAndGet();
      return super.take(wait, leaseFor);
    }

    @Override
    public List<Lease> take(int max, Duration wait, Duration leaseFor) throws InterruptedException {
      takes.incrementAndGet();
      return super.take(max, wait, leaseFor);
    }
  }

  @Test
  void theCallerIsAMeterTagOnlyWhenAskedFor() {
    SimpleMeterRegistry untagged = new SimpleMeterRegistry();
    runner().withBean(MeterRegistry.class, () -> untagged)
        .withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox())
        .run(context -> context.getBean(Mailer.class).send(emailBuilder("ann@example.org").caller("billing").build()));
    assertThat(untagged.find("postline.mail.send").timers()).isNotEmpty()
        .allMatch(t -> t.getId().getTag("caller") == null);

    SimpleMeterRegistry tagged = new SimpleMeterRegistry();
    runner().withBean(MeterRegistry.class, () -> tagged)
        .withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(), "postline.mail.metrics.caller-tag=true")
        .run(context -> context.getBean(Mailer.class).send(emailBuilder("ann@example.org").caller("billing").build()));
    assertThat(tagged.find("postline.mail.send").tag("caller", "billing").timers()).hasSize(1)
        .extracting(Timer::count).containsExactly(1L);
  }

  @Test
  void closingTheContextClosesTheProvidersAndQueueItCreatedAfterTheMailer() {
    String key = "closes-" + outbox();
    Mailer[] mailer = new Mailer[1];
    RecordingProviderFactory.MAILER_CLOSED.put(key, () -> {
      try {
        mailer[0].enqueue(email("probe@example.org"));
        return false;
      } catch (IllegalStateException closed) {
        return true;
      }
    });
    PostlineMailerResources[] resources = new PostlineMailerResources[1];
    runner().withPropertyValues("postline.mail.providers.a.dsn=recording://" + key, "postline.mail.queue.capacity=10")
        .run(context -> {
          mailer[0] = context.getBean(Mailer.class);
          resources[0] = context.getBean(PostlineMailerResources.class);
          assertThat(resources[0].owned()).hasAtLeastOneElementOfType(MailQueue.class)
              .anyMatch(r -> r instanceof MailProvider p && p.name().equals("a"));
          assertThat(RecordingProviderFactory.CLOSES.get(key)).isNull();
        });
    // Closed at least once (by the auto-configuration), and only once the Mailer had stopped.
    assertThat(RecordingProviderFactory.CLOSES.get(key)).isNotEmpty().containsOnly(true);
    assertThat(resources[0].owned()).isEmpty();
  }

  @Test
  void aFailedStartClosesTheProvidersCreatedSoFar() {
    String key = "failed-" + outbox();
    runner().withPropertyValues("postline.mail.providers.a.dsn=recording://" + key,
        "postline.mail.providers.b.dsn=memory://" + outbox(), "postline.mail.providers.b.timeout=0s")
        .run(context -> assertThat(context).hasFailed());
    assertThat(RecordingProviderFactory.CLOSES.get(key)).isNotEmpty();
  }

  @Test
  void idesCompleteProviderNames() throws Exception {
    // Every Spring Boot jar has such a file: ours is the one describing postline.mail.
    JsonNode metadata = null;
    for (URL url : Collections.list(getClass().getClassLoader().getResources("META-INF/spring-configuration-metadata.json"))) {
      try (InputStream in = url.openStream()) {
        JsonNode candidate = new ObjectMapper().readTree(in);
        if (candidate.path("groups").findValuesAsString("name").contains("postline.mail")) {
          metadata = candidate;
        }
      }
    }
    assertThat(metadata).isNotNull();
    JsonNode hint = null;
    for (JsonNode h : metadata.path("hints")) {
      if (h.get("name").asString().equals("postline.mail.providers.keys")) {
        hint = h;
      }
    }
    assertThat(hint).isNotNull();
    assertThat(hint.get("values").findValuesAsString("value")).contains("primary", "backup");
    Map<String, String> types = new HashMap<>();
    metadata.get("properties").forEach(p -> types.put(p.get("name").asString(), p.path("type").asString("")));
    // The map's value type is what an IDE completes dsn, weight, rate-limit.*, timeout and circuit-breaker.* from.
    assertThat(types).containsEntry("postline.mail.providers",
        "java.util.Map<java.lang.String,io.postline.mail.spring.PostlineMailProperties$Provider>");
    assertThat(types).containsKey("postline.mail.metrics.caller-tag");
    // Defaults set by a shared base class's constructor come from additional-spring-configuration-metadata.json.
    Map<String, String> defaults = new HashMap<>();
    metadata.get("properties").forEach(p -> defaults.put(p.get("name").asString(), p.path("defaultValue").asString("")));
    assertThat(defaults).containsEntry("postline.mail.retry.max-attempts", "3")
        .containsEntry("postline.mail.retry.max-delay", "1m")
        .containsEntry("postline.mail.queue.retry.max-attempts", "8")
        .containsEntry("postline.mail.queue.retry.initial-delay", "1s")
        .containsEntry("postline.mail.webhooks.ses.tolerance", "1h")
        .containsEntry("postline.mail.webhooks.sendgrid.path", "/webhooks/sendgrid")
        .containsKey("postline.mail.webhooks.replay-store");
  }

  @Test
  void anApplicationsQueueIsLeftToTheApplication() {
    CountingQueue queue = new CountingQueue();
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox())
        .withBean(MailQueue.class, () -> queue)
        .run(context -> assertThat(context.getBean(PostlineMailerResources.class).owned())
            .isNotEmpty().noneMatch(r -> r == queue));
  }
}
