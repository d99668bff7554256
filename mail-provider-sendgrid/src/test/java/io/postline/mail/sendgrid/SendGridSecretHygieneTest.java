package io.postline.mail.sendgrid;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import ch.qos.logback.classic.Level;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.postline.mail.Email;
import io.postline.mail.spi.ProviderSettings;
import io.postline.mail.spi.SendOutcome;
import io.postline.mail.tck.LogCapture;
import io.postline.mail.tck.SecretChecks;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The API key never shows in logs (at any level), exception messages or toString(). */
class SendGridSecretHygieneTest {
  private static final String KEY = "SG.hygiene-0123456789.TOPSECRET-abcdef";
  private static final String RECIPIENT = "ann.private@example.org";

  @RegisterExtension
  static WireMockExtension wire = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  @RegisterExtension
  final LogCapture logs = LogCapture.start(Level.TRACE);

  /** One send with a generous timeout, so the first failure path does not pay for a cold JVM. */
  private static void warmUp() {
    wire.stubFor(post("/v3/mail/send").willReturn(aResponse().withStatus(202)));
    try (SendGridProvider warm = SendGridProvider.builder("SG.warm-up").baseUrl(URI.create(wire.baseUrl())).build()) {
      warm.send(Email.builder().from("shop@example.org").to("x@example.org").subject("s").text("t").build());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void failurePathsNeverRevealTheKey() {
    List<Throwable> thrown = new ArrayList<>();
    Email email = Email.builder().from("shop@example.org").to(RECIPIENT).subject("s").text("t").build();
    warmUp();
    SendGridProvider provider = SendGridProvider.builder(KEY).name("sg").baseUrl(URI.create(wire.baseUrl()))
        .timeout(Duration.ofMillis(1500)).build();

    // 401 whose body quotes the key back, 403, 400, 429, 500, a reset connection and a timeout.
    for (ResponseDefinitionBuilder response : List.of(
        aResponse().withStatus(401).withBody("{\"errors\":[{\"message\":\"API key " + KEY + " is invalid\"}]}"),
        aResponse().withStatus(403).withBody("Bearer " + KEY),
        aResponse().withStatus(400).withBody("{\"errors\":[{\"field\":\"from\",\"message\":\"bad\"}]}"),
        aResponse().withStatus(429).withHeader("Retry-After", "3"),
        aResponse().withStatus(500),
        aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER),
        aResponse().withStatus(202).withFixedDelay(4000))) {
      wire.stubFor(post("/v3/mail/send").willReturn(response));
      thrown.add(catchThrowable(() -> provider.send(email)));
    }
    wire.stubFor(post("/v3/mail/send").willReturn(aResponse().withStatus(503)));
    for (SendOutcome outcome : provider.sendBatch(List.of(email, email.toBuilder().subject("2").build()))) {
      thrown.add(outcome.failure().orElseThrow());
    }
    // An email SendGrid would refuse, and DSNs that cannot be used.
    thrown.add(catchThrowable(() -> provider.send(email.toBuilder().header("X-SG-ID", "x").build())));
    thrown.add(catchThrowable(() -> SendGridProvider.create(
        ProviderSettings.parse("sendgrid://" + KEY + "@default?timeout=never"))));
    thrown.add(catchThrowable(() -> SendGridProvider.create(
        ProviderSettings.parse("sendgrid://" + KEY + "@elsewhere"))));
    thrown.add(catchThrowable(() -> SendGridProvider.create(
        ProviderSettings.parse("sendgrid://" + KEY + "@default?secretOption=" + KEY))));
    String described = provider.toString() + provider.capabilities();
    provider.close();

    assertThat(thrown).hasSize(13).doesNotContainNull();
    for (Throwable t : thrown) {
      SecretChecks.assertNoSecrets(t, List.of(KEY, RECIPIENT));
    }
    assertThat(described).doesNotContain(KEY);
    assertThat(logs.lines()).as("captured log lines").anySatisfy(line -> assertThat(line).contains("HTTP 401"))
        .allSatisfy(line -> assertThat(line).doesNotContain(KEY).doesNotContain(RECIPIENT));
  }
}
