package io.postline.mail.smtp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class RedactorTest {
  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void removesThePasswordInClearAndBase64AndTheAuthPlainResponse() {
    Redactor r = new Redactor("ann", "s3cret-pw");

    assertThat(r.clean("x s3cret-pw y " + b64("s3cret-pw") + " " + b64("\0ann\0s3cret-pw")))
        .isEqualTo("x **** y **** ****");
  }

  @Test
  void removesTokensAddedLaterAndKeepsOnlyTheLastFew() {
    Redactor r = new Redactor("ann", null);
    for (int i = 0; i < 6; i++) {
      r.addToken("ann", "token-number-" + i);
    }

    assertThat(r.clean("token-number-5 " + b64("user=ann\001auth=Bearer token-number-5\001\001")))
        .isEqualTo("**** ****");
    assertThat(r.clean("token-number-0")).isEqualTo("token-number-0");
  }

  @Test
  void masksAddresses() {
    assertThat(Redactor.maskAddresses("550 5.1.1 <bob@example.org>: unknown, also x.y+z@sub.example.co.uk"))
        .isEqualTo("550 5.1.1 <b***@example.org>: unknown, also x***@sub.example.co.uk");
    assertThat(Redactor.maskAddresses("no address here")).isEqualTo("no address here");
  }

  @Test
  void veryShortPasswordsAreNotRedactedEverywhere() {
    assertThat(new Redactor("u", "ab").clean("about")).isEqualTo("about");
  }
}
