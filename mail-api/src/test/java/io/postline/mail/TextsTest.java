package io.postline.mail;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TextsTest {

  @ParameterizedTest
  @ValueSource(strings = {"\r", "\n", "a\r\nb", "\u0085", "\u2028", "\u2029"})
  void lineBreaks(String s) {
    assertThat(Texts.hasLineBreak(s)).isTrue();
    assertThat(Texts.hasLineBreak("plain text\tand tab")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"\u0000", "\u001f", "\u007f", "\u0080", "\u009f", "\u2028", "\u2029", "\n", "\r"})
  void controlCharacters(String s) {
    assertThat(Texts.hasControl("a" + s + "b")).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "plain", "tab\tis fine", "ümlaut", "\u00a0nbsp", "😀", "日本"})
  void notControlCharacters(String s) {
    assertThat(Texts.hasControl(s)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"\uD83D", "a\uD83Db", "\uDE00", "\uDE00\uD83D", "x\uD83D\uD83D\uDE00"})
  void brokenSurrogates(String s) {
    assertThat(Texts.hasBrokenSurrogate(s)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "😀", "a😀b😀", "plain"})
  void pairedSurrogates(String s) {
    assertThat(Texts.hasBrokenSurrogate(s)).isFalse();
  }
}
