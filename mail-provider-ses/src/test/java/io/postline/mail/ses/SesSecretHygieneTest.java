package io.postline.mail.ses;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static io.postline.mail.ses.SesContractTest.error;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The secret key and session token never show in Postline's logs, exception messages or
 * toString(). The AWS SDK's own DEBUG logging is the documented exception: its V4 signer prints the
 * canonical request (session token included) and {@code software.amazon.awssdk.request} prints what
 * SES answered; the secret access key itself appears nowhere, at any level.
 */
class SesSecretHygieneTest {
  private static final String ACCESS_KEY = "AKIAHYGIENE000000001";
  private static final String SECRET = "hygiene/TOPSECRET+key0123456789abcdef";
  private static final String TOKEN = "hygiene-session-token-TOPSECRET";
  private static final String RECIPIENT = "ann.private@example.org";

  @RegisterExtension
  static WireMockExtension wire = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  @RegisterExtension
  final LogCapture logs = LogCapture.start(Level.TRACE);

  /** One send first, so that the first failure path does not pay for a cold SDK. */
  @BeforeEach
  void warmUp() {
    wire.stubFor(post(SesWire.PATH).willReturn(aResponse().withStatus(200).withBody("{\"MessageId\":\"warm\"}")));
    try (SesProvider warm = SesProvider.builder().region("eu-west-1").credentials("AKIAWARM", "warm-secret")
        .endpoint(URI.create(wire.baseUrl())).build()) {
      warm.send(Email.builder().from("shop@example.org").to("x@example.org").subject("s").text("t").build());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void failurePathsNeverRevealTheSecret() {
    List<Throwable> thrown = new ArrayList<>();
    Email email = Email.builder().from("shop@example.org").to(RECIPIENT).subject("s").text("t").build();
    SesProvider provider = SesProvider.builder().name("ses").region("eu-west-1").credentials(ACCESS_KEY, SECRET, TOKEN)
        .endpoint(URI.create(wire.baseUrl())).timeout(Duration.ofMillis(1500)).build();

    for (ResponseDefinitionBuilder response : List.of(
        error(403, "InvalidSignatureException", "The request signature we calculated does not match; secret " + SECRET),
        error(403, "ExpiredTokenException", "token " + TOKEN + " expired"),
        error(400, "MessageRejected", "rejected " + RECIPIENT),
        error(429, "TooManyRequestsException", "slow"),
        error(400, "LimitExceededException", "quota"),
        error(500, "InternalServiceErrorException", "oops"),
        aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER),
        aResponse().withStatus(200).withFixedDelay(4000))) {
      wire.stubFor(post(SesWire.PATH).willReturn(response));
      thrown.add(catchThrowable(() -> provider.send(email)));
    }
    wire.stubFor(post(SesWire.PATH).willReturn(error(503, "ServiceUnavailable", "down")));
    for (SendOutcome outcome : provider.sendBatch(List.of(email, email.toBuilder().subject("2").build()))) {
      thrown.add(outcome.failure().orElseThrow());
    }
    thrown.add(catchThrowable(() -> provider.send(email.toBuilder().tag("a b").metadata("a_b", "x").build())));
    thrown.add(catchThrowable(() -> SesProvider.create(
        ProviderSettings.parse("ses://" + ACCESS_KEY + ":" + SECRET + "@default?timeout=never"))));
    thrown.add(catchThrowable(() -> SesProvider.create(
        ProviderSettings.parse("ses://" + ACCESS_KEY + ":" + SECRET + "@eu-west-1"))));
    thrown.add(catchThrowable(() -> SesProvider.create(
        ProviderSettings.parse("ses://" + ACCESS_KEY + ":" + SECRET + "@default?region=eu-west-1&sessionToken=" + TOKEN
            + "&secretThing=" + SECRET))));
    String described = provider.toString() + provider.capabilities();
    provider.close();

    assertThat(thrown).hasSize(14).doesNotContainNull();
    for (Throwable t : thrown) {
      SecretChecks.assertNoSecrets(t, List.of(SECRET, TOKEN));
      assertThat(t.getMessage()).doesNotContain(RECIPIENT);
    }
    assertThat(described).doesNotContain(SECRET).doesNotContain(ACCESS_KEY);
    assertThat(logs.lines()).as("captured log lines")
        .anySatisfy(line -> assertThat(line).contains("InvalidSignatureException"));
    for (ILoggingEvent event : logs.events()) {
      boolean sdkDebug = event.getLoggerName().startsWith("software.amazon.awssdk")
          && !event.getLevel().isGreaterOrEqual(Level.INFO);
      if (!sdkDebug) {
        assertThat(LogCapture.line(event)).as("log line").doesNotContain(SECRET).doesNotContain(TOKEN).doesNotContain(RECIPIENT);
      }
    }
  }

  @Test
  void theSecretKeyAppearsInNoLogLineAtAnyLevelAndTheTokenOnlyInTheSdkSigner() {
    SesProvider provider = SesProvider.builder().name("ses").region("eu-west-1").credentials(ACCESS_KEY, SECRET, TOKEN)
        .endpoint(URI.create(wire.baseUrl())).timeout(Duration.ofMillis(1500)).build();
    Email email = Email.builder().from("shop@example.org").to(RECIPIENT).subject("s").text("t").build();
    for (ResponseDefinitionBuilder response : List.of(error(403, "InvalidSignatureException", "signature mismatch"),
        error(400, "MessageRejected", "rejected"), error(500, "InternalServiceErrorException", "oops"),
        aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER), aResponse().withStatus(200).withBody("{\"MessageId\":\"m\"}"))) {
      wire.stubFor(post(SesWire.PATH).willReturn(response));
      catchThrowable(() -> provider.send(email));
    }
    provider.close();

    assertThat(logs.events()).as("captured log events").isNotEmpty();
    for (ILoggingEvent event : logs.events()) {
      String line = LogCapture.line(event);
      assertThat(line).as("log line").doesNotContain(SECRET);
      if (line.contains(TOKEN)) {
        assertThat(event.getLoggerName()).as("logger printing the session token")
            .startsWith("software.amazon.awssdk.http.auth.aws.internal.signer");
        assertThat(event.getLevel()).isEqualTo(Level.DEBUG);
      }
    }
  }
}
