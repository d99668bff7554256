package io.postline.mail.mime;

import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.Address;
import io.postline.mail.testing.HostileInputs;
import jakarta.mail.internet.ContentDisposition;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeUtility;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The header encoder on its own, including input that validation would never let through: it
 * must stay safe (no raw CR, LF or control character, short lines) whatever it is given.
 */
class HeaderEncoderTest {
  private static final Pattern ENCODED_WORD = Pattern.compile("=\\?UTF-8\\?[QB]\\?[^?]*\\?=");

  private static String decode(String folded) throws Exception {
    return MimeUtility.decodeText(MimeUtility.unfold(folded));
  }

  private static void assertSafe(String folded, int used) {
    String[] lines = folded.split("\r\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      assertThat(line).doesNotContain("\r").doesNotContain("\n");
      assertThat(line.chars()).allMatch(c -> c == '\t' || c >= 0x20 && c <= 0x7e);
      assertThat(line.length() + (i == 0 ? used : 0)).isLessThanOrEqualTo(998);
      if (i > 0) {
        assertThat(line).matches("[ \t].*\\S.*");
      }
    }
  }

  /**
   * Property, beyond what validation lets through: any text at all, hostile included, encodes to
   * a safe header that decodes back exactly (text with lone surrogates excepted: it has no UTF-8
   * form, so only safety is checked).
   */
  @Test
  void anyTextEncodesSafelyAndDecodesBackExactly() throws Exception {
    long base = HostileInputs.baseSeed();
    for (int i = 0; i < 800; i++) { // Jakarta Mail decodes slowly (a ServiceLoader look-up per word)
      long seed = HostileInputs.caseSeed(base, i);
      HostileInputs generator = new HostileInputs(seed, i % 2 == 0 ? 1.0 : 0.0);
      String value = generator.text(998);
      if (value.length() > 1200) {
        value = value.substring(0, 1200); // decoding is slow in Jakarta Mail; longer adds nothing
      }
      int used = generator.between(2, 80);
      try {
        String text = HeaderEncoder.text(value, used);
        assertSafe(text, used);
        String phrase = HeaderEncoder.fold(used, phraseAndAddress(value));
        assertSafe(phrase, used);
        String parameter = HeaderEncoder.withParameters("attachment", List.of(Map.entry("filename", value)), used);
        assertSafe(parameter, used);
        if (!hasLoneSurrogate(value)) {
          assertThat(decode(text)).isEqualTo(value);
          if (!value.isBlank()) {
            assertThat(InternetAddress.parseHeader(phrase, true)[0].getPersonal()).isEqualTo(value);
          }
          assertThat(new ContentDisposition(MimeUtility.unfold(parameter)).getParameter("filename"))
              .isEqualTo(value);
        }
      } catch (Throwable e) {
        throw new AssertionError("case seed " + seed + ", used " + used + ", value "
            + HostileInputs.describe(value), e);
      }
    }
  }

  private static List<String> phraseAndAddress(String name) {
    List<String> segments = new ArrayList<>(HeaderEncoder.phrase(name));
    segments.add(" <ann@example.org>");
    return segments;
  }

  private static boolean hasLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  @Test
  void plainAsciiIsLeftAsItIs() {
    assertThat(HeaderEncoder.text("spring-sale 2025", 12)).isEqualTo("spring-sale 2025");
    assertThat(HeaderEncoder.text("", 12)).isEmpty();
  }

  @Test
  void longPlainTextIsFoldedBeforeBlanksWithinSeventyEightCharacters() throws Exception {
    String value = "word ".repeat(60).strip();
    String folded = HeaderEncoder.text(value, "Subject: ".length());

    assertThat(folded).contains("\r\n ").doesNotContain("=?");
    String[] lines = folded.split("\r\n");
    assertThat(lines[0].length() + 9).isLessThanOrEqualTo(78);
    for (String line : lines) {
      assertThat(line.length()).isLessThanOrEqualTo(78);
    }
    assertThat(decode(folded)).isEqualTo(value);
  }

  @Test
  void neverFoldsAfterABackslash() throws Exception {
    String value = ("a\\ b" + " c".repeat(5)).repeat(20);
    String folded = HeaderEncoder.text(value, 9);

    assertThat(folded).doesNotContain("\\\r\n");
    assertThat(decode(folded)).isEqualTo(value);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "line\r\nBcc: evil@example.net", "bare\nLF", "bare\rCR", "nul\u0000", "del\u007f",
      "c1\u0085\u2028\u2029", "lone \uD800 surrogate", "\tleading tab", "trailing blank ",
      "=?UTF-8?B?SGk=?=", "Grüße 😀 漢字", "word=?UTF-8?Q?glued?=", "(=?UTF-8?Q?paren?=)",
      "a=?b", "x =?"})
  void anythingUnsafeOrAmbiguousIsEncoded(String value) {
    String folded = HeaderEncoder.text(value, 9);

    assertSafe(folded, 9);
    assertThat(folded).matches(ENCODED_WORD + "((\r\n)? " + ENCODED_WORD + ")*");
  }

  @ParameterizedTest
  @ValueSource(strings = {"line\r\nBcc: evil@example.net", "nul\u0000", "c1\u0085\u2028", "Grüße 😀"})
  void encodedTextDecodesBackExactly(String value) throws Exception {
    assertThat(decode(HeaderEncoder.text(value, 9))).isEqualTo(value);
  }

  @Test
  void loneSurrogatesDoNotBreakTheEncoder() {
    String folded = HeaderEncoder.text("\uDC00\uD800x".repeat(50), 9);

    assertSafe(folded, 9);
  }

  @Test
  void encodedWordsNeverSplitACharacterAndStayWithinLimits() throws Exception {
    String value = "😀漢ü".repeat(100);
    List<String> words = HeaderEncoder.encodedWords(value, 60);

    assertThat(words.get(0).length()).isLessThanOrEqualTo(60);
    StringBuilder decoded = new StringBuilder();
    for (String word : words) {
      assertThat(word.strip()).matches(ENCODED_WORD).hasSizeLessThanOrEqualTo(75);
      decoded.append(MimeUtility.decodeWord(word.strip())); // each word decodes on its own
    }
    assertThat(decoded.toString()).isEqualTo(value);
    for (String line : HeaderEncoder.fold(16, words).split("\r\n")) {
      assertThat(line.length()).isLessThanOrEqualTo(76);
    }
  }

  @Test
  void mostlyAsciiUsesQAndMostlyNonAsciiUsesB() {
    assertThat(HeaderEncoder.encodedWords("Gruesse aus Koeln und Berlin, Grüße", 75).get(0)).startsWith("=?UTF-8?Q?");
    assertThat(HeaderEncoder.encodedWords("ご注文ありがとうございます", 75).get(0)).startsWith("=?UTF-8?B?");
  }

  @Test
  void qEncodingUsesOnlyCharactersAllowedInAPhrase() {
    String word = HeaderEncoder.encodedWords("a,b;c<d>e\"f(g)h.i@j:k[l]m_n=o?p", 75).get(0);
    String payload = word.substring("=?UTF-8?Q?".length(), word.length() - 2);

    assertThat(payload).matches("[A-Za-z0-9!*+\\-/=_]*");
  }

  @Test
  void displayNamesAreAtomsQuotedOrEncoded() {
    assertThat(HeaderEncoder.phrase("Ann Doe")).containsExactly("Ann", " Doe");
    assertThat(HeaderEncoder.phrase("Doe, Ann")).containsExactly("\"Doe, Ann\"");
    assertThat(HeaderEncoder.phrase("a \"b\" \\c")).containsExactly("\"a \\\"b\\\" \\\\c\"");
    assertThat(String.join("", HeaderEncoder.phrase("=?UTF-8?B?SGk=?="))).startsWith("=?UTF-8?");
    assertThat(String.join("", HeaderEncoder.phrase("Ann=?UTF-8?Q?x?="))).as("a glued look-alike")
        .startsWith("=?UTF-8?").doesNotContain("=?UTF-8?Q?x?=");
    assertThat(String.join("", HeaderEncoder.phrase("Zoë"))).startsWith("=?UTF-8?");
    assertThat(String.join("", HeaderEncoder.phrase("x, ".repeat(30).strip()))).as("too long to quote")
        .startsWith("=?UTF-8?");
    assertThat(HeaderEncoder.phrase("x".repeat(64))).as("a long atom").containsExactly("x".repeat(64));
    assertThat(String.join("", HeaderEncoder.phrase("x".repeat(65)))).as("too long to leave unfolded")
        .startsWith("=?UTF-8?");
  }

  @Test
  void addressListsFoldBetweenAddressesAndReadBack() throws Exception {
    List<Address> addresses = List.of(
        Address.of("ann@example.org", "Ann Doe"), Address.of("bob@bücher.example", "Bob, Jr."),
        Address.of("li@example.org", "李小龍 " + "😀".repeat(30)), Address.of("plain@example.org"));
    String folded = HeaderEncoder.addressList(addresses, 4);

    assertSafe(folded, 4);
    for (String line : folded.split("\r\n")) {
      assertThat(line.length()).isLessThanOrEqualTo(78);
    }
    InternetAddress[] parsed = InternetAddress.parseHeader(folded, true);
    assertThat(parsed).extracting(InternetAddress::getAddress).containsExactly(
        "ann@example.org", "bob@xn--bcher-kva.example", "li@example.org", "plain@example.org");
    assertThat(parsed).extracting(InternetAddress::getPersonal).containsExactly(
        "Ann Doe", "Bob, Jr.", "李小龍 " + "😀".repeat(30), null);
  }

  @Test
  void parametersAreQuotedWhenShortAsciiAndRfc2231EncodedOtherwise() {
    assertThat(HeaderEncoder.withParameters("attachment", List.of(Map.entry("filename", "a \"b\".pdf")), 21))
        .isEqualTo("attachment; filename=\"a \\\"b\\\".pdf\"");
    assertThat(HeaderEncoder.withParameters("attachment", List.of(Map.entry("filename", "Ü.pdf")), 21))
        .isEqualTo("attachment; filename*=UTF-8''%C3%9C.pdf");
    String tab = HeaderEncoder.withParameters("attachment", List.of(Map.entry("filename", "a\tb")), 21);
    assertThat(tab).isEqualTo("attachment; filename*=UTF-8''a%09b");
  }

  @Test
  void parametersHoldingAnEncodedWordLookAlikeAreRfc2231Encoded() {
    assertThat(MimeUtility.unfold(HeaderEncoder.withParameters("attachment",
        List.of(Map.entry("filename", "=?ISO-8859-1?Q?caf=E9?=.pdf")), 21)))
        .isEqualTo("attachment; filename*=UTF-8''%3D%3FISO-8859-1%3FQ%3Fcaf%3DE9%3F%3D.pdf");
    assertThat(HeaderEncoder.withParameters("attachment", List.of(Map.entry("filename", "a=?b")), 21))
        .isEqualTo("attachment; filename*=UTF-8''a%3D%3Fb");
  }

  @Test
  void longParametersAreSplitIntoNumberedSectionsWithoutSplittingACharacter() {
    String folded = HeaderEncoder.withParameters("attachment",
        List.of(Map.entry("filename", "€".repeat(60))), 21);

    assertSafe(folded, 21);
    assertThat(folded).contains("filename*0*=UTF-8''%E2%82%AC").contains("filename*1*=%E2%82%AC")
        .doesNotContainPattern("%E2%82\r|%E2\r");
    for (String line : folded.split("\r\n")) {
      assertThat(line.length()).isLessThanOrEqualTo(78);
    }
  }
}
