package io.postline.mail.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.junit.jupiter.api.Test;

class MustacheTemplatesTest {
  @Test
  void candidatesGoFromMostToLeastSpecific() {
    assertThat(MustacheTemplates.candidates("welcome", new Locale("de", "CH")))
        .containsExactly("welcome_de_CH", "welcome_de", "welcome");
    assertThat(MustacheTemplates.candidates("welcome", Locale.ROOT)).containsExactly("welcome");
    assertThat(MustacheTemplates.candidates("a/b", new Locale("sr", "RS", "latin")))
        .containsExactly("a/b_sr_RS_latin", "a/b_sr_RS", "a/b_sr", "a/b");
  }
}
