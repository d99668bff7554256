package io.postline.mail.spring;

import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.postline.mail.core.AuditLog;
import io.postline.mail.core.IdempotencyStore;
import io.postline.mail.core.MailQueue;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.RateLimitBackend;
import io.postline.mail.core.Templates;
import io.postline.mail.event.MailListener;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.ClassUtils;

/**
 * Auto-configures a {@link Mailer} from {@code postline.mail.*} properties when at least one
 * provider is configured and the application defines no {@code Mailer} of its own.
 *
 * <p>The application's beans are picked up: every {@link MailListener}; an {@link AuditLog} or
 * {@link IdempotencyStore} replaces the one the properties describe; a {@link MailQueue},
 * {@link RateLimitBackend} or {@link Templates} replaces the one the Mailer would build; the
 * {@link MeterRegistry} and {@link ObservationRegistry} (Spring Boot's, with Micrometer) get
 * Postline's meters and observations; a Resilience4j {@link CircuitBreakerRegistry} or
 * {@link RetryRegistry} (such as resilience4j-spring-boot's) gets the providers' breakers and
 * retries; every {@link MailerBuilderCustomizer} is applied last. The Mailer is closed with the
 * context: it stops taking work and waits up to {@code postline.mail.close-timeout} for sends in
 * flight; then what the auto-configuration created for it (providers, queue, Redis connection)
 * is closed.
 */
@AutoConfiguration(afterName = {
    "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
    "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration",
    "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration"})
@ConditionalOnClass(Mailer.class)
@ConditionalOnBooleanProperty(name = "postline.mail.enabled", matchIfMissing = true)
@EnableConfigurationProperties(PostlineMailProperties.class)
public class PostlineMailAutoConfiguration {

  /** Created by Spring. */
  public PostlineMailAutoConfiguration() {}

  static ClassLoader classLoader(ConfigurableListableBeanFactory beanFactory) {
    ClassLoader loader = beanFactory.getBeanClassLoader();
    if (loader == null) {
      loader = ClassUtils.getDefaultClassLoader();
    }
    return loader != null ? loader : Mailer.class.getClassLoader();
  }

  /** The Mailer and the stores it is built with, unless the application has its own Mailer. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnMissingBean(Mailer.class)
  @Conditional(OnProvidersConfiguredCondition.class)
  static class MailerConfiguration {

    @Bean
    @ConditionalOnMissingBean
    IdempotencyStore postlineIdempotencyStore(PostlineMailProperties properties, ObjectProvider<PostlineRedis> redis) {
      return MailerFactory.idempotencyStore(properties, redis.getIfAvailable());
    }

    @Bean
    @ConditionalOnMissingBean
    AuditLog postlineAuditLog(PostlineMailProperties properties, ObjectProvider<PostlineRedis> redis) {
      return MailerFactory.auditLog(properties, redis.getIfAvailable());
    }

    /** The Mailer's templates, a bean so that others (the console's preview) render with the same ones. */
    @Bean
    @ConditionalOnMissingBean
    Templates postlineTemplates(PostlineMailProperties properties, ConfigurableListableBeanFactory beanFactory) {
      return MailerFactory.templates(properties, classLoader(beanFactory));
    }

    /** Closes what the auto-configuration creates for the Mailer, after the Mailer (which depends on it). */
    @Bean(destroyMethod = "close")
    PostlineMailerResources postlineMailerResources(ObjectProvider<PostlineRedis> redis) {
      PostlineMailerResources resources = new PostlineMailerResources();
      // First in, so closed last: the Redis client outlives the queue and buckets built on it.
      redis.ifAvailable(resources::add);
      return resources;
    }

    @Bean(destroyMethod = "close")
    Mailer postlineMailer(PostlineMailProperties properties, ConfigurableListableBeanFactory beanFactory,
        PostlineMailerResources resources, ObjectProvider<MailListener> listeners, ObjectProvider<AuditLog> auditLogs,
        IdempotencyStore idempotency, ObjectProvider<MailQueue> queue,
        ObjectProvider<RateLimitBackend> rateLimitBackend, ObjectProvider<Templates> templates,
        ObjectProvider<MeterRegistry> meterRegistry, ObjectProvider<ObservationRegistry> observationRegistry,
        ObjectProvider<CircuitBreakerRegistry> circuitBreakerRegistry, ObjectProvider<RetryRegistry> retryRegistry,
        ObjectProvider<PostlineRedis> redis, ObjectProvider<MailerBuilderCustomizer> customizers) {
      AuditLog audit = auditLogs.orderedStream().reduce(AuditLog::andThen).orElseThrow();
      return new MailerFactory(properties, classLoader(beanFactory))
          .create(new MailerFactory.Collaborators(resources,
              listeners.orderedStream().toList(), audit, idempotency, queue.getIfUnique(),
              rateLimitBackend.getIfUnique(), templates.getIfUnique(), meterRegistry.getIfUnique(),
              observationRegistry.getIfUnique(), circuitBreakerRegistry.getIfUnique(), retryRegistry.getIfUnique(),
              redis.getIfAvailable(), customizers.orderedStream().toList()));
    }

    /** Postline's Redis resources, when io.postline:mail-queue-redis is on the classpath; connected on first use. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.postline.mail.queue.redis.RedisMailQueue")
    static class RedisConfiguration {

      // Closed by postlineMailerResources, after the Mailer and what it built on Redis; not by Spring directly.
      @Bean(destroyMethod = "")
      PostlineRedis postlineRedis(PostlineMailProperties properties, ConfigurableListableBeanFactory beanFactory) {
        boolean springDataRedis = ClassUtils.isPresent(SpringDataRedisClients.FACTORY_CLASS, classLoader(beanFactory));
        return new PostlineRedis(properties.getRedis(),
            () -> springDataRedis ? SpringDataRedisClients.nativeClient(beanFactory) : null);
      }
    }
  }
}
