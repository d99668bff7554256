package io.postline.mail.spring;

import io.postline.mail.Address;
import io.postline.mail.core.AddressHasher;
import io.postline.mail.core.IdempotencyStore;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.SuppressionList;
import io.postline.mail.feedback.DeliveryEvent;
import io.postline.mail.feedback.DeliveryFeedback;
import io.postline.mail.feedback.MailgunWebhook;
import io.postline.mail.feedback.OneClickUnsubscribe;
import io.postline.mail.feedback.SendGridWebhook;
import io.postline.mail.feedback.SesSnsWebhook;
import io.postline.mail.feedback.WebhookVerifier;
import io.postline.mail.feedback.WebhookVerifierBuilder;
import java.net.URI;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;
import org.springframework.web.servlet.function.RequestPredicates;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.RouterFunctions;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * What happens after the hand-off, once any {@code postline.mail.suppression.*},
 * {@code postline.mail.webhooks.*} or {@code postline.mail.unsubscribe.*} property is set:
 *
 * <ul>
 *   <li>an {@link AddressHasher} from {@code postline.mail.suppression.hash-key} (required) and a
 *       {@link SuppressionList} (in memory, or on Redis with {@code postline.mail.suppression.store=redis}
 *       or {@code queue.type=redis}), which the auto-configured Mailer enforces;
 *   <li>with mail-feedback: a {@link DeliveryFeedback} feeding that list, which also records every
 *       {@link DeliveryEvent} in the application's Mailer (audit trail, metrics, listeners) and
 *       publishes it as a Spring application event ({@code @EventListener});
 *   <li>per provider whose {@code postline.mail.webhooks.<provider>.*} properties are set, its
 *       verifier and, in a servlet web application, its endpoint;
 *   <li>with {@code postline.mail.unsubscribe.*}, a {@link OneClickUnsubscribe} (for {@code apply})
 *       and its endpoint.
 * </ul>
 *
 * Each bean yields to one of the application's own of the same type.
 */
@AutoConfiguration(after = PostlineMailAutoConfiguration.class,
    afterName = "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration")
@ConditionalOnClass(Mailer.class)
@ConditionalOnBooleanProperty(name = "postline.mail.enabled", matchIfMissing = true)
@ConditionalOnPropertiesUnder({"postline.mail.suppression", "postline.mail.webhooks", "postline.mail.unsubscribe"})
@EnableConfigurationProperties(PostlineMailProperties.class)
public class PostlineFeedbackAutoConfiguration {
  private static final String WEBHOOKS = "postline.mail.webhooks.";

  /** Created by Spring. */
  public PostlineFeedbackAutoConfiguration() {}

  /** Hashes addresses with {@code postline.mail.suppression.hash-key}. */
  @Bean
  @ConditionalOnMissingBean
  AddressHasher postlineAddressHasher(PostlineMailProperties properties) {
    return MailerFactory.addressHasher(properties);
  }

  /** The suppression list; a Redis one is closed with Postline's Redis connection, after the Mailer. */
  @Bean(destroyMethod = "")
  @ConditionalOnMissingBean
  SuppressionList postlineSuppressionList(PostlineMailProperties properties, AddressHasher hasher,
      ObjectProvider<PostlineRedis> redis) {
    return MailerFactory.suppressionList(properties, hasher, redis.getIfAvailable());
  }

  /** Gives the auto-configured Mailer the suppression list, before the application's customizers. */
  @Bean
  @Order(Ordered.HIGHEST_PRECEDENCE)
  MailerBuilderCustomizer postlineSuppressionCustomizer(SuppressionList suppressionList) {
    return builder -> builder.suppressionList(suppressionList);
  }

  /**
   * Postline's Redis for the suppression list when the Mailer's auto-configuration made none (no
   * provider configured, or the application's own Mailer).
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.postline.mail.queue.redis.RedisSuppressionList")
  static class RedisConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    PostlineRedis postlineFeedbackRedis(PostlineMailProperties properties, ConfigurableListableBeanFactory beanFactory) {
      boolean springDataRedis = ClassUtils.isPresent(SpringDataRedisClients.FACTORY_CLASS,
          PostlineMailAutoConfiguration.classLoader(beanFactory));
      return new PostlineRedis(properties.getRedis(),
          () -> springDataRedis ? SpringDataRedisClients.nativeClient(beanFactory) : null);
    }
  }

  /** With mail-feedback: the events' handler, the verifiers and one-click unsubscribe. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(DeliveryFeedback.class)
  static class FeedbackConfiguration {

    /**
     * Feeds the suppression list; records each event in the application's one Mailer (its audit
     * trail then ends in the delivery) and publishes it to the application's listeners.
     */
    @Bean
    @ConditionalOnMissingBean
    DeliveryFeedback postlineDeliveryFeedback(PostlineMailProperties properties, SuppressionList suppressionList,
        ObjectProvider<Mailer> mailer, ApplicationEventPublisher events) {
      PostlineFeedbackProperties.Suppression s = properties.getSuppression();
      DeliveryFeedback.Builder b = DeliveryFeedback.builder(suppressionList).listener(events::publishEvent);
      mailer.ifUnique(b::mailer);
      MailerFactory.check("postline.mail.suppression.soft-bounce-limit",
          () -> b.softBounces(s.getSoftBounceLimit(), s.getSoftBounceWindow()));
      MailerFactory.check("postline.mail.suppression.soft-bounce-suppression",
          () -> b.softBounceSuppression(s.getSoftBounceSuppression()));
      return b.build();
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnPropertiesUnder(WEBHOOKS + "sendgrid")
    SendGridWebhook postlineSendGridWebhook(PostlineMailProperties properties, ObjectProvider<PostlineRedis> redis) {
      PostlineFeedbackProperties.SendGrid p = properties.getWebhooks().getSendgrid();
      return common("sendgrid", p, properties, redis, keyed("sendgrid.verification-key", p.getVerificationKey(),
          "the verification key SendGrid shows once signed event webhooks are enabled", SendGridWebhook::builder)).build();
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnPropertiesUnder(WEBHOOKS + "mailgun")
    MailgunWebhook postlineMailgunWebhook(PostlineMailProperties properties, ObjectProvider<PostlineRedis> redis) {
      PostlineFeedbackProperties.Mailgun p = properties.getWebhooks().getMailgun();
      return common("mailgun", p, properties, redis, keyed("mailgun.signing-key", p.getSigningKey(),
          "the HTTP webhook signing key from Mailgun's dashboard", MailgunWebhook::builder)).build();
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnPropertiesUnder(WEBHOOKS + "ses")
    SesSnsWebhook postlineSesWebhook(PostlineMailProperties properties, ObjectProvider<PostlineRedis> redis) {
      PostlineFeedbackProperties.Ses p = properties.getWebhooks().getSes();
      Set<String> topics = new LinkedHashSet<>();
      p.getTopicArns().stream().map(String::strip).filter(t -> !t.isEmpty()).forEach(topics::add);
      for (String topic : topics) {
        if (!topic.startsWith("arn:aws") || topic.split(":", -1).length != 6) {
          throw new InvalidPostlinePropertyException(WEBHOOKS + "ses.topic-arns",
              "'" + topic + "' is not an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:ses-feedback");
        }
      }
      if (topics.isEmpty()) {
        throw new InvalidPostlinePropertyException(WEBHOOKS + "ses.topic-arns", "is required for the SES webhook "
            + "endpoint: the ARNs of the SNS topics whose messages are accepted");
      }
      return common("ses", p, properties, redis,
          SesSnsWebhook.builder(topics).confirmSubscriptions(p.isConfirmSubscriptions())).build();
    }

    /** The builder for the key of {@code property} (under postline.mail.webhooks), which is required. */
    private static <B> B keyed(String property, @Nullable String key, String what, Function<String, B> builder) {
      String value = required(WEBHOOKS + property, key, what);
      return MailerFactory.check(WEBHOOKS + property, () -> builder.apply(value));
    }

    /** What every verifier takes from its properties: the tolerance and the replay memory. */
    private static <B extends WebhookVerifierBuilder<B>> B common(String provider, PostlineFeedbackProperties.Endpoint p,
        PostlineMailProperties properties, ObjectProvider<PostlineRedis> redis, B builder) {
      MailerFactory.check(WEBHOOKS + provider + ".tolerance", () -> builder.tolerance(p.getTolerance()));
      IdempotencyStore replays = MailerFactory.webhookReplayStore(properties, redis.getIfAvailable(), provider,
          p.getTolerance());
      return replays == null ? builder : builder.replayStore(replays);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnPropertiesUnder("postline.mail.unsubscribe")
    OneClickUnsubscribe postlineOneClickUnsubscribe(PostlineMailProperties properties, SuppressionList suppressionList) {
      PostlineFeedbackProperties.Unsubscribe p = properties.getUnsubscribe();
      URI url = unsubscribeUrl(p);
      OneClickUnsubscribe.Builder b = MailerFactory.check("postline.mail.unsubscribe.url",
          () -> OneClickUnsubscribe.builder(suppressionList, url));
      String keys = required("postline.mail.unsubscribe.signing-keys", p.getSigningKeys(),
          "id:base64key entries (each key at least 32 bytes), the current key first");
      boolean first = true;
      for (String spec : keys.split(",")) {
        String entry = spec.strip();
        int colon = entry.indexOf(':');
        byte[] key;
        try {
          key = colon > 0 ? Base64.getDecoder().decode(entry.substring(colon + 1).strip()) : new byte[0];
        } catch (IllegalArgumentException e) {
          key = new byte[0];
        }
        if (colon < 1 || key.length == 0) {
          // Never quotes the entry: it holds a key.
          throw new InvalidPostlinePropertyException("postline.mail.unsubscribe.signing-keys",
              "each entry must be id:base64key, the key at least 32 bytes");
        }
        String id = entry.substring(0, colon).strip();
        byte[] k = key;
        boolean current = first;
        MailerFactory.check("postline.mail.unsubscribe.signing-keys",
            () -> current ? b.signingKey(id, k) : b.acceptedKey(id, k));
        first = false;
      }
      String mailto = p.getMailto();
      if (mailto != null && !mailto.isBlank()) {
        MailerFactory.check("postline.mail.unsubscribe.mailto", () -> b.mailto(Address.of(mailto.strip())));
      }
      return b.build();
    }

    /** The endpoints, in a servlet web application with Spring MVC. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnClass(RouterFunction.class)
    static class EndpointConfiguration {

      /**
       * The endpoint of each provider whose {@code postline.mail.webhooks.<provider>.*} properties
       * are set, answering a refusal with the status the provider takes as "do not send again":
       * SendGrid 403 (it retries any non-2xx, for at most 24 hours), Mailgun 406 (the one status
       * after which it does not retry), SES through SNS 403 (SNS retries 5xx and timeouts, not 4xx);
       * and 503, which all three retry, for a request that is still in progress or could not be
       * applied.
       */
      @Bean
      @ConditionalOnPropertiesUnder({WEBHOOKS + "sendgrid", WEBHOOKS + "mailgun", WEBHOOKS + "ses"})
      RouterFunction<ServerResponse> postlineWebhookRoutes(PostlineMailProperties properties, Environment environment,
          ObjectProvider<SendGridWebhook> sendgrid, ObjectProvider<MailgunWebhook> mailgun,
          ObjectProvider<SesSnsWebhook> ses, DeliveryFeedback feedback) {
        PostlineFeedbackProperties.Webhooks w = properties.getWebhooks();
        RouterFunctions.Builder routes = RouterFunctions.route();
        route(routes, environment, "sendgrid", w.getSendgrid(), sendgrid, feedback, 403);
        route(routes, environment, "mailgun", w.getMailgun(), mailgun, feedback, 406);
        route(routes, environment, "ses", w.getSes(), ses, feedback, 403);
        return routes.build();
      }

      private static void route(RouterFunctions.Builder routes, Environment environment, String provider,
          PostlineFeedbackProperties.Endpoint p, ObjectProvider<? extends WebhookVerifier> verifier,
          DeliveryFeedback feedback, int refusal) {
        if (OnPropertiesUnderCondition.anyUnder(environment, ConfigurationPropertyName.of(WEBHOOKS + provider))) {
          routes.route(RequestPredicates.POST(path(WEBHOOKS + provider + ".path", p.getPath())),
              new WebhookEndpoint(verifier.getObject(), feedback, refusal));
        }
      }

      /** RFC 8058: POST unsubscribes, GET shows a button that POSTs. */
      @Bean
      @ConditionalOnPropertiesUnder("postline.mail.unsubscribe")
      RouterFunction<ServerResponse> postlineUnsubscribeRoute(PostlineMailProperties properties,
          OneClickUnsubscribe unsubscribe) {
        PostlineFeedbackProperties.Unsubscribe p = properties.getUnsubscribe();
        String path = p.getPath() != null ? path("postline.mail.unsubscribe.path", p.getPath())
            : path("postline.mail.unsubscribe.url", unsubscribeUrl(p).getPath());
        UnsubscribeEndpoint endpoint = new UnsubscribeEndpoint(unsubscribe);
        return RouterFunctions.route()
            .POST(path, endpoint::post)
            .GET(path, endpoint::get)
            .build();
      }
    }
  }

  private static URI unsubscribeUrl(PostlineFeedbackProperties.Unsubscribe p) {
    String url = required("postline.mail.unsubscribe.url", p.getUrl(),
        "the public https URL of the one-click endpoint, such as https://mail.example.org/unsubscribe");
    URI uri = MailerFactory.check("postline.mail.unsubscribe.url", () -> URI.create(url.strip()));
    if (!"https".equals(uri.getScheme()) || uri.getHost() == null || uri.getRawQuery() != null) {
      throw new InvalidPostlinePropertyException("postline.mail.unsubscribe.url",
          "must be an https URL without a query, such as https://mail.example.org/unsubscribe");
    }
    return uri;
  }

  private static String path(String property, @Nullable String path) {
    if (path == null || !path.startsWith("/") || path.contains("{") || path.contains("*") || path.contains("?")) {
      throw new InvalidPostlinePropertyException(property, "must be a plain path starting with '/', such as "
          + "/webhooks/sendgrid");
    }
    return path;
  }

  private static String required(String property, @Nullable String value, String what) {
    if (value == null || value.isBlank()) {
      throw new InvalidPostlinePropertyException(property, "is required: " + what);
    }
    return value.strip();
  }
}
