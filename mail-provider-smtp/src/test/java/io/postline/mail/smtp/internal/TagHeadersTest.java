package io.postline.mail.smtp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.Email;
import io.postline.mail.InvalidEmailException;
import org.junit.jupiter.api.Test;

class TagHeadersTest {
  static Email.Builder email() {
    return Email.builder().from("a@example.org").to("b@example.org").subject("s").text("t");
  }

  @Test
  void tagsAndMetadataBecomeHeaders() {
    Email email = TagHeaders.apply(email().tag("welcome").tag("a,b 100%").metadata("userId", "42").build());

    assertThat(email.headers()).containsEntry("X-Postline-Tags", "welcome, a%2Cb 100%25")
        .containsEntry("X-Postline-Meta-userId", "42");
  }

  @Test
  void anEmailWithoutTagsIsLeftAlone() {
    Email email = email().build();

    assertThat(TagHeaders.apply(email)).isSameAs(email);
  }

  @Test
  void aClashWithTheEmailsOwnHeaderIsAProblem() {
    Email email = email().tag("x").header("X-Postline-Tags", "mine").build();

    assertThatThrownBy(() -> TagHeaders.apply(email)).isInstanceOf(InvalidEmailException.class)
        .hasMessageContaining("X-Postline-Tags");
  }
}
