package io.postline.mail.mailgun;

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
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code mailgun://} DSN and the ServiceLoader registration. */
class MailgunDsnTest {
  private static final String KEY = "key-dsn-secret-42";

  @RegisterExtension
  static WireMockExtension wire = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  @Test
  void serviceLoaderFindsTheFactoryForTheScheme() {
    List<MailProviderFactory> factories = ServiceLoader.load(MailProviderFactory.class).stream()
        .map(ServiceLoader.Provider::get).filter(f -> f.scheme().equals("mailgun")).toList();

    assertThat(factories).hasSize(1);
  }

  @Test
  void aDsnWithBaseUrlSendsToTheDomainWithTheKey() throws Exception {
    wire.stubFor(post("/v3/mg.example.org/messages").willReturn(aResponse().withStatus(200).withBody("{\"id\":\"<d@mg>\"}")));
    ProviderSettings settings = ProviderSettings.parse("mailgun://" + KEY + "@mg.example.org?baseUrl="
        + wire.baseUrl() + "&timeout=30s").withName("backup");

    try (MailProvider provider = factory().create(settings)) {
      assertThat(provider.name()).isEqualTo("backup");
      assertThat(provider.toString()).contains(wire.baseUrl() + "/v3/mg.example.org/messages").doesNotContain(KEY);
      assertThat(provider.send(Email.builder().from("a@example.org").to("b@example.org").subject("s").text("t").build())
          .messageId()).isEqualTo("<d@mg>");
    }
    String basic = "Basic " + Base64.getEncoder().encodeToString(("api:" + KEY).getBytes(StandardCharsets.UTF_8));
    wire.verify(postRequestedFor(urlEqualTo("/v3/mg.example.org/messages")).withHeader("Authorization", equalTo(basic)));
  }

  @Test
  void regionSelectsTheApi() {
    try (MailProvider eu = factory().create(ProviderSettings.parse("mailgun://" + KEY + "@mg.example.org?region=eu"));
         MailProvider us = factory().create(ProviderSettings.parse("mailgun://" + KEY + "@mg.example.org"))) {
      assertThat(eu.toString()).contains("https://api.eu.mailgun.net/v3/mg.example.org/messages").doesNotContain(KEY);
      assertThat(us.toString()).contains("https://api.mailgun.net/v3/mg.example.org/messages");
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "mailgun://mg.example.org                         | the API key",
      "mailgun://key-dsn-secret-42@mg.example.org?eu=1  | unknown option(s) [eu]",
      "mailgun://key-dsn-secret-42@default              | sending domain",
      "mailgun://key-dsn-secret-42@mg.example.org?region=asia | one of [eu, us]",
      "mailgun://key-dsn-secret-42@mg.example.org?connectTimeout=x | option 'connectTimeout'",
      "mailgun://key-dsn-secret-42@mg.example.org?baseUrl=mailto:x | http or https",
      "mailgun://api:key-dsn-secret-42@mg.example.org   | API key as its user part only",
  })
  void badDsnsAreExplainedWithoutTheKey(String dsn, String explanation) {
    ProviderSettings settings = ProviderSettings.parse(dsn);

    assertThatThrownBy(() -> factory().create(settings)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(explanation).hasMessageNotContaining(KEY);
  }

  @Test
  void theBuilderRejectsBadValuesAtOnce() {
    assertThatThrownBy(() -> MailgunProvider.builder("", "mg.example.org")).hasMessageContaining("blank");
    assertThatThrownBy(() -> MailgunProvider.builder(KEY, "not a domain")).hasMessageContaining("host name");
    assertThatThrownBy(() -> MailgunProvider.builder(KEY, "mg.example.org").connectTimeout(java.time.Duration.ofSeconds(-1)))
        .hasMessageContaining("connectTimeout must be positive");
  }

  private static MailProviderFactory factory() {
    return ServiceLoader.load(MailProviderFactory.class).stream().map(ServiceLoader.Provider::get)
        .filter(f -> f.scheme().equals("mailgun")).findFirst().orElseThrow();
  }
}
