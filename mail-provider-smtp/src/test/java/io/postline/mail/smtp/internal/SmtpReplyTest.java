package io.postline.mail.smtp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SmtpReplyTest {
  @Test
  void parsesCodeEnhancedCodeAndText() {
    SmtpReply r = SmtpReply.parse("550 5.1.1 <bob@example.org>: Recipient address rejected\n").orElseThrow();

    assertThat(r.code()).isEqualTo(550);
    assertThat(r.enhanced()).isEqualTo("5.1.1");
    assertThat(r.text()).isEqualTo("<bob@example.org>: Recipient address rejected");
    assertThat(r.providerCode()).isEqualTo("550 5.1.1");
    assertThat(r.isPermanent()).isTrue();
    assertThat(r.isMailboxFull()).isFalse();
  }

  @Test
  void joinsMultiLineReplies() {
    SmtpReply r = SmtpReply.parse("452-4.2.2 The mailbox is full\n452 4.2.2 Try again later\n").orElseThrow();

    assertThat(r.text()).isEqualTo("The mailbox is full Try again later");
    assertThat(r.isMailboxFull()).isTrue();
    assertThat(r.isTransient()).isTrue();
  }

  @Test
  void aReplyWithoutEnhancedCode() {
    SmtpReply r = SmtpReply.parse("421 Service not available").orElseThrow();

    assertThat(r.enhanced()).isNull();
    assertThat(r.providerCode()).isEqualTo("421");
    assertThat(r.isPolicy()).isFalse();
  }

  @Test
  void findsAReplyInsideAnAngusMessage() {
    SmtpReply r = SmtpReply.find("Got bad greeting from SMTP host: h, port: 25, response: 554 5.7.1 Go away")
        .orElseThrow();

    assertThat(r.code()).isEqualTo(554);
    assertThat(r.enhanced()).isEqualTo("5.7.1");
    assertThat(SmtpReply.find("Could not connect to SMTP host")).isEmpty();
    assertThat(SmtpReply.parse("")).isEmpty();
  }

  @Test
  void policyAndThrottling() {
    assertThat(SmtpReply.parse("450 4.7.1 try later").orElseThrow().isPolicy()).isTrue();
    assertThat(SmtpReply.parse("421 Too many connections from your IP").orElseThrow().soundsLikeThrottling()).isTrue();
    assertThat(SmtpReply.parse("452 4.5.3 Too many recipients").orElseThrow().soundsLikeThrottling()).isFalse();
  }

  @Test
  void retryAfterFromTheText() {
    assertThat(SmtpFailures.retryAfter(SmtpReply.parse("450 4.7.1 Try again in 90 seconds").orElseThrow()))
        .isEqualTo(Duration.ofSeconds(90));
    assertThat(SmtpFailures.retryAfter(SmtpReply.parse("421 4.7.0 wait 5 minutes").orElseThrow()))
        .isEqualTo(Duration.ofMinutes(5));
    assertThat(SmtpFailures.retryAfter(SmtpReply.parse("421 4.7.0 blocked for 48 hours").orElseThrow()))
        .isEqualTo(Duration.ofDays(1));
    assertThat(SmtpFailures.retryAfter(SmtpReply.parse("451 4.3.0 later").orElseThrow())).isNull();
  }
}
