package io.postline.mail.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.ProviderException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How an HTTP provider classifies its service's answers, as a JUnit Jupiter test class to extend
 * next to {@link MailProviderContractTest}: the subclass lists its service's answers, the kit
 * checks what every HTTP provider's failure must be.
 *
 * <p>The subclass declares {@code static Stream<Arguments> rows()}, each row
 * {@code (name, response, kind, code, retryAfter, messagePart)}: a test name, the answer in the
 * form of its mock service {@code R} (such as WireMock's
 * {@code ResponseDefinitionBuilder}, see {@link WireMockService}), the expected {@link FailureKind}, provider code (or null to leave it
 * unchecked), retry-after (null: none) and a part of the message. For each row the kit sends one
 * email and checks that it failed with exactly that, that the message starts with
 * the prefix given, holds no secret nor the sender's address, that it came within four
 * seconds (the provider is built with a 1.5 s timeout) and that it cost exactly one request.
 *
 * <p>The kit also sends to servers that cannot be reached at all (a closed port, an unknown host,
 * a TLS server whose certificate the JVM does not trust): each is
 * {@link FailureKind#PROVIDER_UNAVAILABLE} with code {@code I/O}, says what to check, and comes
 * well within the providers' default timeout, so that the next provider is tried at once.
 *
 * @param <R> how the mock service describes an answer
 */
public abstract class HttpProviderFailureTest<R> {
  /** The timeout of the provider the rows are sent through. */
  protected static final Duration TIMEOUT = Duration.ofMillis(1500);
  /** The sender of every email the kit sends; no failure message may show it. */
  private static final String SENDER = "shop@example.org";
  /** The timeout of the providers sent to unreachable servers: the HTTP providers' default. */
  private static final Duration UNREACHABLE_TIMEOUT = Duration.ofSeconds(30);
  /** Far below that timeout: an unreachable server must not be waited for. */
  private static final Duration AT_ONCE = Duration.ofSeconds(10);

  private final MockService<R> service;
  private final String messagePrefix;
  private final Set<String> secrets;
  private @Nullable MailProvider provider;

  /**
   * For subclasses.
   *
   * @param service the mock of the provider's service that the rows are sent to
   * @param messagePrefix how every failure message of the provider starts, such as
   *     {@code "SendGrid provider 'sg': "}
   * @param secrets the credentials of the providers the kit creates; no message may show them
   */
  protected HttpProviderFailureTest(MockService<R> service, String messagePrefix, Set<String> secrets) {
    this.service = Objects.requireNonNull(service, "service");
    this.messagePrefix = Objects.requireNonNull(messagePrefix, "messagePrefix");
    this.secrets = Set.copyOf(secrets);
  }

  /** A provider that sends to {@code baseUrl} with this request timeout, named as the prefix says. */
  protected abstract MailProvider createProvider(URI baseUrl, Duration timeout);

  @BeforeEach
  void createRowProvider() {
    provider = createProvider(service.baseUrl(), TIMEOUT);
  }

  @AfterEach
  void closeRowProvider() throws Exception {
    if (provider != null) {
      provider.close();
    }
  }

  @ParameterizedTest(name = "{0} -> {2}")
  @MethodSource("rows")
  void classifies(String name, R response, FailureKind kind, @Nullable String code, @Nullable Duration retryAfter,
      String messagePart) {
    service.answerWith(response);
    long started = System.nanoTime();

    ProviderException e = catchThrowableOfType(ProviderException.class,
        () -> Objects.requireNonNull(provider).send(email()));

    assertThat(e).as("thrown").isNotNull();
    assertThat(e.kind()).isEqualTo(kind);
    if (code != null) {
      assertThat(e.code()).contains(code);
    }
    if (retryAfter == null) {
      assertThat(e.retryAfter()).isEmpty();
    } else {
      assertThat(e.retryAfter()).contains(retryAfter);
    }
    assertThat(e.getMessage()).startsWith(messagePrefix).contains(messagePart).doesNotContain(SENDER);
    SecretChecks.assertNoSecrets(e, secrets);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).as("time to fail").isLessThan(Duration.ofSeconds(4));
    assertThat(service.requestsReceived()).as("requests sent for one failed send").isEqualTo(1);
  }

  @Test
  void aClosedPortIsProviderUnavailable() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    assertUnreachable(URI.create("http://127.0.0.1:" + closedPort), "connection refused", "check the host and port");
  }

  @Test
  void anUnknownHostIsProviderUnavailable() throws Exception {
    assertUnreachable(URI.create("http://api.postline-test.invalid"), "unknown host", "check the host name");
  }

  @Test
  void anUntrustedCertificateIsProviderUnavailable() throws Exception {
    assertUnreachable(service.untrustedBaseUrl(), "TLS certificate is not trusted",
        "check the trust settings, the JVM's trust store");
  }

  private void assertUnreachable(URI baseUrl, String said, String advice) throws Exception {
    try (MailProvider unreachable = createProvider(baseUrl, UNREACHABLE_TIMEOUT)) {
      long started = System.nanoTime();

      ProviderException e = catchThrowableOfType(ProviderException.class, () -> unreachable.send(email()));

      assertThat(Duration.ofNanos(System.nanoTime() - started)).as("time to fail").isLessThan(AT_ONCE);
      assertThat(e).as("thrown").isNotNull();
      assertThat(e.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
      assertThat(e.code()).contains("I/O");
      assertThat(e.getMessage()).startsWith(messagePrefix).contains(said).contains(advice)
          .endsWith("another provider may");
      SecretChecks.assertNoSecrets(e, secrets);
    }
  }

  /**
   * A mock of a provider's HTTP service: where it listens, how it is told to answer, and what it
   * received.
   *
   * @param <R> how an answer is described
   */
  public interface MockService<R> {
    /** The base URL the provider under test is pointed at. */
    URI baseUrl();

    /** A TLS server whose certificate the JVM does not trust. */
    URI untrustedBaseUrl();

    /** Answers the provider's requests with {@code response} from now on. */
    void answerWith(R response);

    /** How many requests arrived in this test. */
    long requestsReceived();
  }

  /** The email every check sends. */
  protected static Email email() {
    return Email.builder().from(SENDER).to("ann@example.org").subject("Hi").text("x").build();
  }
}
