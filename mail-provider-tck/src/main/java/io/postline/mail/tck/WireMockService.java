package io.postline.mail.tck;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.matching.RequestPattern;
import io.postline.mail.FailureKind;
import java.net.URI;
import java.util.Objects;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * An HTTP provider's service mocked by WireMock, for {@link HttpProviderFailureTest}: requests are
 * POSTed to one path of {@code wire}; {@code untrusted} is an HTTPS-only server with WireMock's own
 * self-signed certificate, which the JVM does not trust. Needs {@code wiremock-standalone} on the
 * test class path (the kit declares it optional).
 */
public final class WireMockService implements HttpProviderFailureTest.MockService<ResponseDefinitionBuilder> {
  private final WireMockExtension wire;
  private final WireMockExtension untrusted;
  private final String path;

  /**
   * The service at {@code path} of {@code wire}.
   *
   * @param wire the mock server, such as
   *     {@code WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build()}
   * @param untrusted an HTTPS-only server, such as
   *     {@code WireMockExtension.newInstance().options(wireMockConfig().httpDisabled(true).dynamicHttpsPort()).build()}
   * @param path where the provider POSTs, such as {@code /v3/mail/send}
   */
  public WireMockService(WireMockExtension wire, WireMockExtension untrusted, String path) {
    this.wire = Objects.requireNonNull(wire, "wire");
    this.untrusted = Objects.requireNonNull(untrusted, "untrusted");
    this.path = Objects.requireNonNull(path, "path");
  }

  /**
   * The rows of {@link HttpProviderFailureTest} that every HTTP provider answers alike, whatever its
   * API says in its bodies: 502 and 503 are {@code TRANSIENT} with code {@code HTTP <status>}; a
   * reset connection, an empty or garbled answer and an answer slower than the kit's timeout are
   * {@code TRANSIENT} with code {@code I/O}. A provider's {@code rows()} adds its own to these.
   */
  public static Stream<Arguments> commonRows() {
    return Stream.of(
        Arguments.of("502", aResponse().withStatus(502), FailureKind.TRANSIENT, "HTTP 502", null, "may help"),
        Arguments.of("503", aResponse().withStatus(503), FailureKind.TRANSIENT, "HTTP 503", null, "may help"),
        Arguments.of("connection reset", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER),
            FailureKind.TRANSIENT, "I/O", null, "retrying may help"),
        Arguments.of("empty response", aResponse().withFault(Fault.EMPTY_RESPONSE),
            FailureKind.TRANSIENT, "I/O", null, "retrying may help"),
        Arguments.of("garbage response", aResponse().withFault(Fault.RANDOM_DATA_THEN_CLOSE),
            FailureKind.TRANSIENT, "I/O", null, "retrying may help"),
        Arguments.of("slow answer hits the timeout", aResponse().withStatus(200).withBody("{}").withFixedDelay(5000),
            FailureKind.TRANSIENT, "I/O", null,
            "no answer within the timeout of " + HttpProviderFailureTest.TIMEOUT.toMillis() + " ms"));
  }

  @Override
  public URI baseUrl() {
    return URI.create(wire.baseUrl());
  }

  @Override
  public URI untrustedBaseUrl() {
    return URI.create(untrusted.getRuntimeInfo().getHttpsBaseUrl());
  }

  @Override
  public void answerWith(ResponseDefinitionBuilder response) {
    wire.stubFor(post(path).willReturn(response));
  }

  @Override
  public long requestsReceived() {
    return wire.countRequestsMatching(RequestPattern.everything()).getCount();
  }
}
