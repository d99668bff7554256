package io.postline.mail.sendgrid;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.postline.mail.Email;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.MailProviderFactory;
import io.postline.mail.spi.ProviderSettings;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code sendgrid://} DSN and the ServiceLoader registration. */
class SendGridDsnTest {
  private static final String KEY = "SG.dsn-test.secret";

  @RegisterExtension
  static WireMockExtension wire = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  @Test
  void serviceLoaderFindsTheFactoryForTheScheme() {
    List<MailProviderFactory> factories = ServiceLoader.load(MailProviderFactory.class).stream()
        .map(ServiceLoader.Provider::get).filter(f -> f.scheme().equals("sendgrid")).toList();

    assertThat(factories).hasSize(1);
  }

  @Test
  void aDsnWithBaseUrlAndTimeoutSendsThereWithTheKey() throws Exception {
    wire.stubFor(post("/v3/mail/send").willReturn(aResponse().withStatus(202).withHeader("X-Message-Id", "dsn")));
    ProviderSettings settings = ProviderSettings.parse("sendgrid://" + KEY + "@default?baseUrl="
        + wire.baseUrl() + "&timeout=45s&connectTimeout=2s").withName("primary");

    try (MailProvider provider = factory().create(settings)) {
      assertThat(provider.name()).isEqualTo("primary");
      assertThat(provider.toString()).contains("timeout=PT45S").doesNotContain(KEY);
      assertThat(provider.send(Email.builder().from("a@example.org").to("b@example.org").subject("s").text("t").build())
          .messageId()).isEqualTo("dsn");
    }
    wire.verify(postRequestedFor(urlEqualTo("/v3/mail/send")).withHeader("Authorization", equalTo("Bearer " + KEY)));
  }

  @Test
  void regionEuUsesTheEuApi() {
    try (MailProvider provider = factory().create(ProviderSettings.parse("sendgrid://" + KEY + "@default?region=eu"))) {
      assertThat(provider.toString()).contains("https://api.eu.sendgrid.com").doesNotContain(KEY);
    }
    try (MailProvider provider = factory().create(ProviderSettings.parse("sendgrid://" + KEY + "@default"))) {
      assertThat(provider.toString()).contains("https://api.sendgrid.com");
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "sendgrid://default                                   | the API key",
      "sendgrid://SG.dsn-test.secret@default?regoin=eu      | unknown option(s) [regoin]",
      "sendgrid://SG.dsn-test.secret@api.example.org        | must be 'default'",
      "sendgrid://SG.dsn-test.secret@default?region=mars    | one of [eu, global]",
      "sendgrid://SG.dsn-test.secret@default?timeout=soon   | option 'timeout'",
      "sendgrid://SG.dsn-test.secret@default?baseUrl=ftp://x | http or https",
      "sendgrid://user:SG.dsn-test.secret@default           | API key as its user part only",
  })
  void badDsnsAreExplainedWithoutTheKey(String dsn, String explanation) {
    ProviderSettings settings = ProviderSettings.parse(dsn);

    assertThatThrownBy(() -> factory().create(settings)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(explanation).hasMessageNotContaining(KEY);
  }

  @Test
  void theBuilderRejectsBadValuesAtOnce() {
    assertThatThrownBy(() -> SendGridProvider.builder(" ")).hasMessageContaining("blank");
    assertThatThrownBy(() -> SendGridProvider.builder(KEY).timeout(java.time.Duration.ZERO))
        .hasMessageContaining("timeout must be positive");
    assertThatThrownBy(() -> SendGridProvider.builder(KEY).baseUrl(java.net.URI.create("http://h/v3")))
        .hasMessageContaining("no path");
  }

  private static MailProviderFactory factory() {
    return ServiceLoader.load(MailProviderFactory.class).stream().map(ServiceLoader.Provider::get)
        .filter(f -> f.scheme().equals("sendgrid")).findFirst().orElseThrow();
  }
}
