package io.postline.mail.ses;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
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

/** The {@code ses://} DSN and the ServiceLoader registration. */
class SesDsnTest {
  private static final String SECRET = "dsnSecret/Key+0123456789";

  @RegisterExtension
  static WireMockExtension wire = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  @Test
  void serviceLoaderFindsTheFactoryForTheScheme() {
    List<MailProviderFactory> factories = ServiceLoader.load(MailProviderFactory.class).stream()
        .map(ServiceLoader.Provider::get).filter(f -> f.scheme().equals("ses")).toList();

    assertThat(factories).hasSize(1);
  }

  @Test
  void aDsnWithKeysRegionEndpointAndConfigurationSetSendsSigned() throws Exception {
    wire.stubFor(post(SesWire.PATH).willReturn(aResponse().withStatus(200).withBody("{\"MessageId\":\"dsn-id\"}")));
    String secret = java.net.URLEncoder.encode(SECRET, java.nio.charset.StandardCharsets.UTF_8);
    ProviderSettings settings = ProviderSettings.parse("ses://AKIADSNTEST:" + secret + "@default?region=eu-central-1"
        + "&endpoint=" + wire.baseUrl() + "&configurationSet=marketing&timeout=30s&sessionToken=tok-3n").withName("aws");

    try (MailProvider provider = factory().create(settings)) {
      assertThat(provider.name()).isEqualTo("aws");
      assertThat(provider.toString()).contains("eu-central-1").doesNotContain(SECRET).doesNotContain("AKIADSNTEST");
      assertThat(provider.send(Email.builder().from("a@example.org").to("b@example.org").subject("s").text("t").build())
          .messageId()).isEqualTo("dsn-id");
    }
    wire.verify(postRequestedFor(urlEqualTo(SesWire.PATH))
        .withHeader("Authorization", matching("AWS4-HMAC-SHA256 Credential=AKIADSNTEST/\\d{8}/eu-central-1/ses/.*"))
        .withHeader("X-Amz-Security-Token", equalTo("tok-3n")));
    assertThat(SesWire.acceptedBodies(wire).get(0).path("ConfigurationSetName").asText()).isEqualTo("marketing");
  }

  @Test
  void withoutKeysTheSdkDefaultChainIsUsed() {
    try (MailProvider provider = factory().create(ProviderSettings.parse("ses://default?region=us-west-2"))) {
      assertThat(provider.toString()).contains("us-west-2");
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "ses://AKIA:dsnSecret@default?regoin=eu-west-1        | unknown option(s) [regoin]",
      "ses://AKIA:dsnSecret@eu-west-1                       | must be 'default'",
      "ses://AKIA@default?region=eu-west-1                  | both ACCESS_KEY:SECRET",
      "ses://AKIA:dsnSecret@default?region=Europe           | AWS region like eu-west-1",
      "ses://AKIA:dsnSecret@default?region=eu-west-1&timeout=fast | option 'timeout'",
      "ses://AKIA:dsnSecret@default?region=eu-west-1&endpoint=ftp://x | http or https",
      "ses://default?region=eu-west-1&sessionToken=dsnSecret | needs ACCESS_KEY:SECRET",
  })
  void badDsnsAreExplainedWithoutTheSecret(String dsn, String explanation) {
    ProviderSettings settings = ProviderSettings.parse(dsn);

    assertThatThrownBy(() -> factory().create(settings)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(explanation).hasMessageNotContaining("dsnSecret");
  }

  @Test
  void theBuilderRejectsBadValuesAtOnce() {
    assertThatThrownBy(() -> SesProvider.builder().region("EU")).hasMessageContaining("AWS region");
    assertThatThrownBy(() -> SesProvider.builder().credentials("AKIA", " ")).hasMessageContaining("secretAccessKey is blank");
    assertThatThrownBy(() -> SesProvider.builder().quotaRetryAfter(java.time.Duration.ZERO))
        .hasMessageContaining("quotaRetryAfter must be positive");
  }

  private static MailProviderFactory factory() {
    return ServiceLoader.load(MailProviderFactory.class).stream().map(ServiceLoader.Provider::get)
        .filter(f -> f.scheme().equals("ses")).findFirst().orElseThrow();
  }
}
