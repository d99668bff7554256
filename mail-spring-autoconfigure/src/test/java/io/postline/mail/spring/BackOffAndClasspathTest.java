package io.postline.mail.spring;

import static io.postline.mail.spring.TestSupport.box;
import static io.postline.mail.spring.TestSupport.email;
import static io.postline.mail.spring.TestSupport.emailBuilder;
import static io.postline.mail.spring.TestSupport.outbox;
import static io.postline.mail.spring.TestSupport.runner;
import static io.postline.mail.spring.TestSupport.templated;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.postline.mail.SendResult;
import io.postline.mail.core.AuditLog;
import io.postline.mail.core.IdempotencyStore;
import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.core.MailQueue;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.RateLimitBackend;
import io.postline.mail.core.RenderedTemplate;
import io.postline.mail.core.Templates;
import io.postline.mail.event.MailEvent;
import io.postline.mail.queue.redis.RedisMailQueue;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;

/** The auto-configuration steps back for the application's own beans, and adapts to the classpath. */
class BackOffAndClasspathTest {

  @Test
  void anApplicationMailerWins() {
    Mailer own = Mailer.builder().provider(new InMemoryProvider("own")).build();
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox())
        .withBean(Mailer.class, () -> own).run(context -> {
          assertThat(context).hasSingleBean(Mailer.class).doesNotHaveBean("postlineMailer");
          assertThat(context.getBean(Mailer.class)).isSameAs(own);
          assertThat(context).doesNotHaveBean(IdempotencyStore.class).doesNotHaveBean(AuditLog.class);
          // health and endpoint still serve the application's Mailer
          assertThat(context).hasSingleBean(PostlineHealthIndicator.class);
        });
  }

  @Test
  void anApplicationAuditLogIsTheMailersLog() {
    RecordingAuditLog own = new RecordingAuditLog();
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox())
        .withBean(AuditLog.class, () -> own).run(context -> {
          assertThat(context).hasSingleBean(AuditLog.class).doesNotHaveBean("postlineAuditLog");
          Mailer mailer = context.getBean(Mailer.class);
          mailer.send(email("ann@example.org"));
          assertThat(own.events).anyMatch(e -> e instanceof MailEvent.Sent);
          String id = own.events.get(0).mailId();
          assertThat(mailer.audit().find(id)).isNotEmpty();
        });
  }

  @Test
  void anApplicationIdempotencyStoreIsUsed() {
    AtomicInteger claims = new AtomicInteger();
    IdempotencyStore memory = IdempotencyStore.inMemory(Duration.ofMinutes(1));
    IdempotencyStore counting = new IdempotencyStore() {
      @Override
      public Optional<Claim> claim(String key, String mailId) {
        claims.incrementAndGet();
        return memory.claim(key, mailId);
      }

      @Override
      public Optional<Claim> find(String key) {
        return memory.find(key);
      }

      @Override
      public void succeeded(String key, String mailId, SendResult result) {
        memory.succeeded(key, mailId, result);
      }

      @Override
      public void release(String key, String mailId) {
        memory.release(key, mailId);
      }
    };
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox())
        .withBean(IdempotencyStore.class, () -> counting).run(context -> {
          context.getBean(Mailer.class).send(emailBuilder("ann@example.org").idempotencyKey("k1").build());
          assertThat(claims).hasValue(1);
          assertThat(memory.find("k1")).isPresent();
        });
  }

  @Test
  void anApplicationQueueTemplatesAndRateLimitBackendAreUsed() {
    MailQueue queue = MailQueue.inMemory();
    AtomicInteger buckets = new AtomicInteger();
    RateLimitBackend backend = (provider, limit) -> {
      buckets.incrementAndGet();
      return RateLimitBackend.local().bucket(provider, limit);
    };
    Templates templates = (name, locale, model) -> new RenderedTemplate("From the app: " + name,
        Optional.of("text"), Optional.empty(), locale);
    String out = outbox();
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + out,
        "postline.mail.providers.a.rate-limit.permits=10")
        .withBean(MailQueue.class, () -> queue).withBean(RateLimitBackend.class, () -> backend)
        .withBean(Templates.class, () -> templates).run(context -> {
          Mailer mailer = context.getBean(Mailer.class);
          mailer.enqueue(emailBuilder("ann@example.org").sendAt(Instant.now().plus(Duration.ofHours(1))).build());
          assertThat(queue.counts().scheduled()).isEqualTo(1);
          assertThat(buckets).hasValue(1);
          mailer.send(templated("ann@example.org", "any", java.util.Map.of()));
          assertThat(box(out).lastSent().orElseThrow().subject()).contains("From the app: any");
        });
  }

  @Test
  void customizersRunLast() {
    List<MailEvent> seen = new CopyOnWriteArrayList<>();
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox())
        .withBean(MailerBuilderCustomizer.class, () -> builder -> builder.listener(seen::add)).run(context -> {
          context.getBean(Mailer.class).send(email("ann@example.org"));
          assertThat(seen).anyMatch(e -> e instanceof MailEvent.Sent);
        });
  }

  @Test
  void metersAreBoundToTheApplicationsRegistry() {
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox())
        .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
            CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class))
        .run(context -> {
          MeterRegistry registry = context.getBean(MeterRegistry.class);
          context.getBean(Mailer.class).send(email("ann@example.org"));
          assertThat(registry.find("postline.mail.send").tag("provider", "a").meters()).isNotEmpty();
          assertThat(registry.find("postline.mail.circuit.state").meters()).isNotEmpty();
        });
  }

  @Test
  void anApplicationMeterRegistryAndObservationRegistryAreUsed() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    List<String> observed = new CopyOnWriteArrayList<>();
    ObservationRegistry observations = ObservationRegistry.create();
    // As Spring Boot wires them: the observation registry times observations into the meter registry.
    observations.observationConfig().observationHandler(
        new io.micrometer.core.instrument.observation.DefaultMeterObservationHandler(meters));
    observations.observationConfig().observationHandler(new ObservationHandler<>() {
      @Override
      public void onStop(Observation.Context context) {
        observed.add(context.getName());
      }

      @Override
      public boolean supportsContext(Observation.Context context) {
        return true;
      }
    });
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox())
        .withBean(MeterRegistry.class, () -> meters).withBean(ObservationRegistry.class, () -> observations)
        .run(context -> {
          context.getBean(Mailer.class).send(email("ann@example.org"));
          assertThat(meters.find("postline.mail.send").timers())
              .as("one send timer: the observation's, not a second one of Postline's").hasSize(1);
          assertThat(observed).contains("postline.mail.send");
        });
  }

  @Test
  void withObservationAutoConfigurationSendsAreObserved() {
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox())
        .withConfiguration(AutoConfigurations.of(ObservationAutoConfiguration.class))
        .run(context -> {
          assertThat(context).hasSingleBean(ObservationRegistry.class);
          assertThat(context.getBean(Mailer.class).send(email("ann@example.org")).provider()).isEqualTo("a");
        });
  }

  @Test
  void withoutMicrometerAutoConfigurationTheMailerStillWorks() {
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox())
        .withClassLoader(new FilteredClassLoader("org.springframework.boot.micrometer"))
        .run(context -> {
          assertThat(context).doesNotHaveBean(MeterRegistry.class);
          assertThat(context.getBean(Mailer.class).send(email("ann@example.org")).provider()).isEqualTo("a");
        });
  }

  @Test
  void withoutActuatorThereIsNoHealthEndpointOrSanitizer() {
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(),
        "management.endpoints.web.exposure.include=postline")
        .withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate", "org.springframework.boot.health"))
        .run(context -> {
          assertThat(context).hasSingleBean(Mailer.class);
          assertThat(context).doesNotHaveBean(PostlineHealthIndicator.class).doesNotHaveBean(PostlineEndpoint.class)
              .doesNotHaveBean(SanitizingFunction.class);
        });
  }

  @Test
  void withActuatorThereAreHealthEndpointAndSanitizer() {
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(),
        "management.endpoints.web.exposure.include=postline").run(context -> {
          assertThat(context).hasSingleBean(PostlineHealthIndicator.class).hasSingleBean(PostlineEndpoint.class)
              .hasSingleBean(SanitizingFunction.class);
          assertThat(context.getBean("postlineHealthIndicator")).isInstanceOf(HealthIndicator.class);
        });
  }

  @Test
  void withoutTheRedisModuleMemoryWorksAndRedisIsExplained() {
    FilteredClassLoader noRedis = new FilteredClassLoader(RedisMailQueue.class);
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox()).withClassLoader(noRedis)
        .run(context -> {
          assertThat(context).hasSingleBean(Mailer.class).doesNotHaveBean(PostlineRedis.class);
        });
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(), "postline.mail.queue.type=redis")
        .withClassLoader(noRedis).run(context -> {
          InvalidPostlinePropertyException e = InvalidPropertiesTest.cause(context.getStartupFailure());
          assertThat(e.property()).isEqualTo("postline.mail.queue.type");
          assertThat(e.reason()).contains("mail-queue-redis");
        });
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(),
        "postline.mail.idempotency.store=redis").withClassLoader(noRedis).run(context ->
        assertThat(InvalidPropertiesTest.cause(context.getStartupFailure()).property())
            .isEqualTo("postline.mail.idempotency.store"));
  }

  @Test
  void redisWithoutAUrlOrSpringDataRedisIsExplained() {
    runner().withPropertyValues("postline.mail.providers.a.dsn=memory://" + outbox(), "postline.mail.queue.type=redis")
        .withClassLoader(new FilteredClassLoader("org.springframework.data.redis")).run(context -> {
          InvalidPostlinePropertyException e = InvalidPropertiesTest.cause(context.getStartupFailure());
          assertThat(e.property()).isEqualTo("postline.mail.redis.url");
          assertThat(e.reason()).contains("Lettuce connection factory");
        });
  }

  /** An audit log of the application's that remembers everything. */
  static final class RecordingAuditLog implements AuditLog {
    final List<MailEvent> events = new CopyOnWriteArrayList<>();

    @Override
    public void record(MailEvent event) {
      events.add(event);
    }

    @Override
    public List<MailEvent> find(String mailId) {
      return events.stream().filter(e -> e.mailId().equals(mailId)).toList();
    }
  }
}
