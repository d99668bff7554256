package io.postline.mail.smtp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Internationalized addresses (RFC 6531) are masked as whole as ASCII ones. */
class RedactorInternationalTest {
  @Test
  void masksUtf8LocalPartsAndUnicodeDomainsWhole() {
    assertThat(Redactor.maskAddresses("C: RCPT TO:<jürgen@bücher.example> NOTIFY=FAILURE"))
        .isEqualTo("C: RCPT TO:<j***@bücher.example> NOTIFY=FAILURE");
    assertThat(Redactor.maskAddresses("550 5.1.1 <山田@example.jp>: unknown"))
        .isEqualTo("550 5.1.1 <山***@example.jp>: unknown");
    assertThat(Redactor.maskAddresses("\uD83D\uDE00smile@example.org"))
        .isEqualTo("\uD83D\uDE00***@example.org");
  }
}
