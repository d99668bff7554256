package io.postline.mail;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.internal.TrustedEmails;
import org.junit.jupiter.api.Test;

/** The builder that skips checks is not reachable from application code. */
class TrustedEmailsTest {
  @Test
  void anApplicationCannotObtainOrReplaceTheTrustedBuilderSource() {
    Email.builder(); // Email has installed its source

    assertThatThrownBy(TrustedEmails::access).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("queue codec only");
    assertThatThrownBy(() -> TrustedEmails.install(Email::builder)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void theOrdinaryBuilderStillChecksEverything() {
    assertThatThrownBy(() -> Email.builder().from("a@example.org").to("b@example.org").subject("s").text("t")
        .metadata("not a key", "v").header("Bcc", "x@example.org").build())
        .isInstanceOf(InvalidEmailException.class).hasMessageContaining("metadata key")
        .hasMessageContaining("set by Postline");
  }
}
