package io.postline.mail.tck;

import static com.github.tomakehurst.wiremock.client.WireMock.post;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.matching.RequestPattern;
import java.net.URI;
import java.util.Objects;

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
