package io.postline.mail.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class NetworkFailuresTest {
  static final String TRUST = "the option trustedCertificate";

  @Test
  void aCertificatePathFailureDeepInTheChainNamesTheTrustSettings() {
    SSLHandshakeException handshake = new SSLHandshakeException("PKIX path building failed");
    handshake.initCause(new CertificateException("wrapped", new CertPathValidatorException("no trust anchor")));
    IOException wrapper = new IOException("send failed", handshake);

    assertThat(NetworkFailures.unreachable(wrapper, TRUST)).hasValue(
        "the server's TLS certificate is not trusted (no trust anchor): check the trust settings, " + TRUST);
  }

  @Test
  void aHostNameNotInTheCertificateSaysSo() {
    SSLHandshakeException handshake = new SSLHandshakeException("No name matching mail.example.org found");
    handshake.initCause(new CertificateException("No name matching mail.example.org found"));

    assertThat(NetworkFailures.unreachable(handshake, TRUST)).hasValueSatisfying(s -> assertThat(s)
        .startsWith("the server's TLS certificate was refused (No name matching mail.example.org found)")
        .contains("host name").endsWith(TRUST));
  }

  @Test
  void anUnresolvedAddressIsAnUnknownHost() {
    ConnectException e = new ConnectException();
    e.initCause(new UnresolvedAddressException());

    assertThat(NetworkFailures.unreachable(e, TRUST)).hasValue("unknown host: check the host name (and DNS)");
  }

  @Test
  void timeoutsAreNotUnreachableEvenWhenTheyWrapAConnectException() {
    HttpConnectTimeoutException timeout = new HttpConnectTimeoutException("HTTP connect timed out");
    timeout.initCause(new ConnectException("HTTP connect timed out"));

    assertThat(NetworkFailures.unreachable(timeout, TRUST)).isEmpty();
    assertThat(NetworkFailures.unreachable(new SocketTimeoutException("connect timed out"), TRUST)).isEmpty();
    assertThat(NetworkFailures.unreachable(new IOException(new SocketTimeoutException("Read timed out")), TRUST))
        .isEmpty();
  }

  @Test
  void droppedConnectionsAndOtherIoErrorsAreNotUnreachable() {
    assertThat(NetworkFailures.unreachable(new EOFException("unexpected end of stream"), TRUST)).isEmpty();
    assertThat(NetworkFailures.unreachable(new IOException("Connection reset"), TRUST)).isEmpty();
  }

  @Test
  void anUnknownHostWinsOverTheConnectExceptionAroundIt() {
    ConnectException e = new ConnectException("cannot connect");
    e.initCause(new UnknownHostException("smtp.example.invalid"));

    assertThat(NetworkFailures.unreachable(e, TRUST))
        .hasValue("unknown host smtp.example.invalid: check the host name (and DNS)");
  }
}
