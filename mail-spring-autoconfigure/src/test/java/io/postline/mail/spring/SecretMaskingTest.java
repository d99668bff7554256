package io.postline.mail.spring;

import static io.postline.mail.spring.TestSupport.runner;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.autoconfigure.context.properties.ConfigurationPropertiesReportEndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.env.EnvironmentEndpointAutoConfiguration;
import org.springframework.boot.actuate.context.properties.ConfigurationPropertiesReportEndpoint;
import org.springframework.boot.actuate.endpoint.SanitizableData;
import org.springframework.boot.actuate.env.EnvironmentEndpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/** DSN secrets never show in /actuator/configprops or /actuator/env, even with show-values=always. */
class SecretMaskingTest {
  private static final String DSN = "memory://mailer:s3cret-pass@outbox-masking";

  @Test
  void configpropsAndEnvMaskDsnSecrets() {
    runner()
        .withConfiguration(AutoConfigurations.of(EndpointAutoConfiguration.class,
            ConfigurationPropertiesReportEndpointAutoConfiguration.class, EnvironmentEndpointAutoConfiguration.class))
        .withPropertyValues("postline.mail.providers.primary.dsn=" + DSN,
            "postline.mail.redis.url=redis://:r3dis-pass@localhost:6379/0",
            "postline.mail.redis.encryption-keys=k1:AAAAAAAAAAAAAAAAAAAAAA==",
            "management.endpoint.configprops.show-values=always", "management.endpoint.env.show-values=always",
            "management.endpoints.web.exposure.include=configprops,env")
        .run(context -> {
          String configprops = context.getBean(ConfigurationPropertiesReportEndpoint.class)
              .configurationPropertiesWithPrefix("postline.mail").getContexts().values().stream()
              .flatMap(c -> c.getBeans().values().stream()).map(b -> b.getProperties().toString()).toList().toString();
          assertThat(configprops).contains("providers");
          assertThat(configprops).contains("memory://mailer:****@outbox-masking").doesNotContain("s3cret-pass")
              .doesNotContain("r3dis-pass").doesNotContain("AAAAAAAAAAAAAAAAAAAAAA==");

          EnvironmentEndpoint env = context.getBean(EnvironmentEndpoint.class);
          assertThat(env.environmentEntry("postline.mail.providers.primary.dsn").getProperty().getValue())
              .isEqualTo("memory://mailer:****@outbox-masking");
          assertThat(env.environmentEntry("postline.mail.redis.url").getProperty().getValue())
              .isEqualTo("redis://:****@localhost:6379/0");
          assertThat(env.environmentEntry("postline.mail.redis.encryption-keys").getProperty().getValue())
              .isEqualTo(SanitizableData.SANITIZED_VALUE);
        });
  }

  @Test
  void feedbackKeysAreMasked() {
    String hashKey = "aGFzaC1rZXktb2YtdGhpcnR5LXR3by1ieXRlcy1vci1tb3Jl";
    String unsubscribeKey = "dW5zdWJzY3JpYmUta2V5LW9mLXRoaXJ0eS10d28tYnl0ZXM=";
    runner()
        .withConfiguration(AutoConfigurations.of(PostlineFeedbackAutoConfiguration.class, EndpointAutoConfiguration.class,
            EnvironmentEndpointAutoConfiguration.class))
        .withPropertyValues("postline.mail.providers.primary.dsn=" + DSN,
            "postline.mail.suppression.hash-key=" + hashKey,
            "postline.mail.webhooks.mailgun.signing-key=mg-signing-s3cret",
            "postline.mail.unsubscribe.signing-keys=k1:" + unsubscribeKey,
            "postline.mail.unsubscribe.url=https://mail.example.org/unsubscribe",
            "management.endpoint.env.show-values=always", "management.endpoints.web.exposure.include=env")
        .run(context -> {
          EnvironmentEndpoint env = context.getBean(EnvironmentEndpoint.class);
          for (String key : new String[] {"postline.mail.suppression.hash-key", "postline.mail.webhooks.mailgun.signing-key",
              "postline.mail.unsubscribe.signing-keys"}) {
            assertThat(env.environmentEntry(key).getProperty().getValue()).as(key).isEqualTo(SanitizableData.SANITIZED_VALUE);
          }
        });
  }

  @Test
  void environmentVariablesAreMaskedToo() {
    runner()
        .withConfiguration(AutoConfigurations.of(EndpointAutoConfiguration.class, EnvironmentEndpointAutoConfiguration.class))
        .withInitializer(context -> context.getEnvironment().getPropertySources().addFirst(
            new SystemEnvironmentPropertySource("systemEnvironment-test",
                Map.of("POSTLINE_MAIL_PROVIDERS_PRIMARY_DSN", DSN,
                    "POSTLINE_MAIL_PROVIDERS_BACKUP_PASSWORD", "pw-in-env"))))
        .withPropertyValues("management.endpoint.env.show-values=always", "management.endpoints.web.exposure.include=env",
            "postline.mail.providers.backup.scheme=memory", "postline.mail.providers.backup.host=outbox-masking-2")
        .run(context -> {
          String all = context.getBean(EnvironmentEndpoint.class).environment(null).getPropertySources().toString();
          assertThat(all).doesNotContain("s3cret-pass").doesNotContain("pw-in-env");
          assertThat(context.getBean(EnvironmentEndpoint.class).environmentEntry("POSTLINE_MAIL_PROVIDERS_PRIMARY_DSN")
              .getProperty().getValue()).isEqualTo("memory://mailer:****@outbox-masking");
        });
  }

  @Test
  void otherPropertiesAreLeftAlone() {
    PostlineSanitizingFunction f = new PostlineSanitizingFunction();
    MapPropertySource source = new MapPropertySource("test", Map.of());
    assertThat(f.apply(new SanitizableData(source, "spring.application.name", "shop")).getValue()).isEqualTo("shop");
    assertThat(f.apply(new SanitizableData(source, "postline.mail.queue.workers", 4)).getValue()).isEqualTo(4);
    assertThat(f.apply(new SanitizableData(source, "postline.mail.providers.p.options.api-key", "k")).getValue())
        .isEqualTo(SanitizableData.SANITIZED_VALUE);
    for (String key : new String[] {"postline.mail.providers.p.dkim.keys[0].key-pem",
        "POSTLINE_MAIL_PROVIDERS_P_DKIM_KEYS_0_KEYPEM", "postline.mail.providers.p.dkim.keys[1].key-file",
        "postline.mail.providers.p.smime.key-file", "postline.mail.providers.p.smime.key-password"}) {
      assertThat(f.apply(new SanitizableData(source, key, "-----BEGIN PRIVATE KEY-----")).getValue()).as(key)
          .isEqualTo(SanitizableData.SANITIZED_VALUE);
    }
    assertThat(f.apply(new SanitizableData(source, "postline.mail.providers.p.dkim.keys[0].selector", "s1")).getValue())
        .isEqualTo("s1");
    assertThat(f.apply(new SanitizableData(source, "postline.mail.providers.p.options.region", "eu")).getValue())
        .isEqualTo("eu");
    assertThat(f.apply(new SanitizableData(source, "postline.mail.providers.p.dsn", "no dsn :// at all")).getValue())
        .isEqualTo(SanitizableData.SANITIZED_VALUE);
  }
}
