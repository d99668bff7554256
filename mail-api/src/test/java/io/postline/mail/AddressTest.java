package io.postline.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AddressTest {

  @Nested
  class Of {
    @Test
    void keepsTheAddressAndHasNoNameByDefault() {
      Address a = Address.of("ann@example.org");

      assertThat(a.email()).isEqualTo("ann@example.org");
      assertThat(a.localPart()).isEqualTo("ann");
      assertThat(a.domain()).isEqualTo("example.org");
      assertThat(a.asciiEmail()).isEqualTo("ann@example.org");
      assertThat(a.name()).isEmpty();
    }

    @Test
    void withADisplayName() {
      Address a = Address.of("ann@example.org", "Ann Doe");

      assertThat(a.name()).contains("Ann Doe");
      assertThat(a.email()).isEqualTo("ann@example.org");
    }

    @Test
    void anEmptyDisplayNameMeansNone() {
      assertThat(Address.of("ann@example.org", "").name()).isEmpty();
      assertThat(Address.of("ann@example.org", "")).isEqualTo(Address.of("ann@example.org"));
    }

    @Test
    void acceptsNonAsciiDisplayNames() {
      assertThat(Address.of("j@example.org", "Jürgen Müller 山田 😀").name())
          .contains("Jürgen Müller 山田 😀");
    }

    @Test
    void doesNotStripWhitespaceAroundTheAddress() {
      assertThatThrownBy(() -> Address.of(" ann@example.org"))
          .isInstanceOf(InvalidEmailException.class);
      assertThatThrownBy(() -> Address.of("ann@example.org "))
          .isInstanceOf(InvalidEmailException.class);
    }

    @Test
    void rejectsNullArguments() {
      assertThatNullPointerException().isThrownBy(() -> Address.of(null));
      assertThatNullPointerException().isThrownBy(() -> Address.of("ann@example.org", null));
    }
  }

  @Nested
  class Parse {
    @Test
    void bareAddress() {
      Address a = Address.parse("ann@example.org");

      assertThat(a.email()).isEqualTo("ann@example.org");
      assertThat(a.name()).isEmpty();
    }

    @Test
    void angleBracketsWithoutName() {
      Address a = Address.parse("<ann@example.org>");

      assertThat(a.email()).isEqualTo("ann@example.org");
      assertThat(a.name()).isEmpty();
    }

    @Test
    void nameAndAngleBrackets() {
      Address a = Address.parse("Ann Doe <ann@example.org>");

      assertThat(a.email()).isEqualTo("ann@example.org");
      assertThat(a.name()).contains("Ann Doe");
    }

    @Test
    void nameWithoutSpaceBeforeTheBracket() {
      assertThat(Address.parse("Ann<ann@example.org>").name()).contains("Ann");
    }

    @Test
    void surroundingWhitespaceIsIgnored() {
      Address a = Address.parse("  Ann   <ann@example.org>  ");

      assertThat(a.name()).contains("Ann");
      assertThat(a.email()).isEqualTo("ann@example.org");
    }

    @Test
    void quotedNameWithAComma() {
      Address a = Address.parse("\"Doe, Ann\" <ann@example.org>");

      assertThat(a.name()).contains("Doe, Ann");
      assertThat(a.email()).isEqualTo("ann@example.org");
    }

    @Test
    void quotedNameWithEscapedQuotesAndBackslashes() {
      Address a = Address.parse("\"Ann \\\"The Boss\\\" Doe \\\\ Co\" <ann@example.org>");

      assertThat(a.name()).contains("Ann \"The Boss\" Doe \\ Co");
    }

    @Test
    void emptyQuotedNameMeansNone() {
      assertThat(Address.parse("\"\" <ann@example.org>").name()).isEmpty();
    }

    @Test
    void parsesTheSameAddressAsOf() {
      assertThat(Address.parse("Ann <ann@example.org>"))
          .isEqualTo(Address.of("ann@example.org", "Ann"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "Ann \"Doe\" <ann@example.org>",       // quote inside an unquoted name
        "\"Ann <ann@example.org>",             // unbalanced quote
        "\"Ann\" \"Doe\" <ann@example.org>",   // two quoted strings
        "\"Ann\"Doe\" <ann@example.org>",      // unescaped quote inside
        "\"Ann\\\" <ann@example.org>",          // the closing quote is escaped: never closed
        "Ann > <ann@example.org>",             // stray bracket in the name
        "x <a> <ann@example.org>",             // two bracketed parts
        "ann@example.org>",                    // '>' without '<'
        "<ann@example.org",                    // '<' without '>'
        "Ann <>",                              // empty address
        "<<ann@example.org>>",                 // nested brackets
        "ann@example.org, bob@example.org",    // a list is not one address
        "Ann ann@example.org",                 // name without brackets
        ""
    })
    void rejectsMalformedInput(String text) {
      assertThatThrownBy(() -> Address.parse(text)).isInstanceOf(InvalidEmailException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "Ann\r\n <ann@example.org>",
        "Ann <ann@example.org>\r\nBcc: eve@example.org",
        "ann@example.org\nBcc: eve@example.org",
        "Ann\u2028Doe <ann@example.org>",
        "\"Ann\r\nBcc: eve@example.org\" <ann@example.org>"
    })
    void rejectsLineBreaks(String text) {
      assertThatThrownBy(() -> Address.parse(text))
          .isInstanceOf(InvalidEmailException.class)
          .hasMessageContaining("line break");
    }

    @Test
    void rejectsNull() {
      assertThatNullPointerException().isThrownBy(() -> Address.parse(null));
    }
  }

  @Nested
  class LocalPart {
    @ParameterizedTest
    @ValueSource(strings = {
        "ann@example.org",
        "ann.doe@example.org",
        "a@example.org",
        "ANN.Doe-99@example.org",
        "ann+tag@example.org",
        "!#$%&'*+-/=?^_`{|}~@example.org",
        "a.b.c.d@example.org",
        "\"ann doe\"@example.org",
        "\"ann..doe\"@example.org",
        "\".ann\"@example.org",
        "\"ann@home\"@example.org",
        "\"ann\\\"doe\"@example.org",
        "\"ann\\\\doe\"@example.org",
        "\"\"@example.org"
    })
    void acceptsDotAtomAndQuotedLocalParts(String email) {
      Address a = Address.of(email);

      assertThat(a.email()).isEqualTo(email);
      assertThat(a.localPart()).isEqualTo(email.substring(0, email.lastIndexOf('@')));
    }

    @Test
    void acceptsALocalPartOf64Characters() {
      String local = "a".repeat(64);

      assertThat(Address.of(local + "@example.org").localPart()).isEqualTo(local);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        ann.example.org          | has no
        @example.org             | nothing before
        ann@                     | nothing after
        ann..doe@example.org     | double dot
        .ann@example.org         | leading
        ann.@example.org         | trailing
        ann doe@example.org      | not allowed in a local part
        ann(x)@example.org       | not allowed in a local part
        ann,doe@example.org      | not allowed in a local part
        ann@bob@example.org      | not allowed in a local part
        ann"doe@example.org      | not allowed in a local part
        """)
    void rejectsBadLocalParts(String email, String reason) {
      assertThatThrownBy(() -> Address.of(email.strip()))
          .isInstanceOf(InvalidEmailException.class)
          .hasMessageContaining(reason);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "\"ann\"doe\"@example.org",     // unescaped quote inside
        "\"ann\\\"@example.org",        // escaped closing quote
        "\"ann\rdoe\"@example.org",     // CR inside quotes
        "\"ann\u0000doe\"@example.org", // NUL inside quotes
        "\"ann\u007fdoe\"@example.org", // DEL inside quotes
        "\"ann\tdoe\"@example.org",     // TAB inside quotes
        "\"ann@example.org",            // unbalanced quote
        "ann\u0000@example.org"         // NUL unquoted
    })
    void rejectsBadQuotedOrControlLocalParts(String email) {
      assertThatThrownBy(() -> Address.of(email)).isInstanceOf(InvalidEmailException.class);
    }

    @Test
    void rejectsALocalPartOver64Characters() {
      assertThatThrownBy(() -> Address.of("a".repeat(65) + "@example.org"))
          .isInstanceOf(InvalidEmailException.class)
          .hasMessageContaining("longer than 64");
    }

    @Test
    void rejectsAnAddressOver254Characters() {
      String domain = "d".repeat(60) + "." + "e".repeat(60) + "." + "f".repeat(60) + "." + "g".repeat(60) + ".org";
      String local = "a".repeat(64);

      assertThat(domain.length()).isLessThanOrEqualTo(253);
      assertThatThrownBy(() -> Address.of(local + "@" + domain))
          .isInstanceOf(InvalidEmailException.class)
          .hasMessageContaining("longer than 254");
    }
  }

  @Nested
  class Domain {
    @ParameterizedTest
    @CsvSource({
        "ann@example.org,           example.org",
        "ann@EXAMPLE.Org,           example.org",
        "ann@mail.example.co.uk,    mail.example.co.uk",
        "ann@a-b.example,           a-b.example",
        "ann@localhost,             localhost",
        "ann@123.example,           123.example",
        "ann@example.xn--p1ai,      example.xn--p1ai",
        "ann@[192.0.2.1],           [192.0.2.1]",
        "ann@[255.255.255.255],     [255.255.255.255]",
        "ann@[IPv6:2001:db8::1],    [ipv6:2001:db8::1]",
        "ann@[IPv6:::1],            [ipv6:::1]",
    })
    void acceptsValidDomainsAndLowerCasesThem(String email, String domain) {
      assertThat(Address.of(email).domain()).isEqualTo(domain);
    }

    @Test
    void acceptsALabelOf63Characters() {
      String label = "x".repeat(63);

      assertThat(Address.of("a@" + label + ".org").domain()).isEqualTo(label + ".org");
    }

    @ParameterizedTest
    @CsvSource({
        "anna@bücher.example,       xn--bcher-kva.example,   anna@bücher.example",
        "anna@BÜCHER.example,       xn--bcher-kva.example,   anna@BÜCHER.example",
        "info@münchen.de,           xn--mnchen-3ya.de,       info@münchen.de",
        "yamada@例え.jp,             xn--r8jz45g.jp,          yamada@例え.jp",
        "ivan@пример.рф,            xn--e1afmkfd.xn--p1ai,   ivan@пример.рф",
    })
    void acceptsInternationalizedDomainsAsPunycode(String email, String ascii, String unicode) {
      Address a = Address.of(email);

      assertThat(a.domain()).isEqualTo(ascii);
      assertThat(a.asciiEmail()).isEqualTo(email.substring(0, email.indexOf('@') + 1) + ascii);
      assertThat(a.email()).isEqualTo(unicode);
    }

    @Test
    void anInternationalizedDomainEqualsItsPunycodeForm() {
      assertThat(Address.of("anna@bücher.example"))
          .isEqualTo(Address.of("anna@xn--bcher-kva.example"))
          .hasSameHashCodeAs(Address.of("anna@xn--bcher-kva.example"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "ann@example..org",
        "ann@.example.org",
        "ann@example.org.",
        "ann@-example.org",
        "ann@example-.org",
        "ann@exa_mple.org",
        "ann@exa mple.org",
        "ann@example.org ",
        "ann@exam!ple.org",
        "ann@example.123",
        "ann@192.0.2.1",
        "ann@123",
        "ann@[192.0.2.256]",
        "ann@[192.0.2]",
        "ann@[01.2.3.4]",
        "ann@[example.org]",
        "ann@[IPv6:zz::1]",
        "ann@[IPv6:1:::2]",
        "ann@[IPv6:]",
        "ann@[192.0.2.1",
        "ann@😀.example"
    })
    void rejectsInvalidDomains(String email) {
      assertThatThrownBy(() -> Address.of(email)).isInstanceOf(InvalidEmailException.class);
    }

    @Test
    void anAsciiDomainIsTakenAsIdnaWouldTakeIt() {
      // ASCII host names skip IDN.toASCII; whatever the shortcut takes, IDNA must take the same way.
      java.util.Random random = new java.util.Random(16);
      String alphabet = "abcXYZ059-.";
      for (int n = 0; n < 20_000; n++) {
        StringBuilder domain = new StringBuilder();
        int length = 1 + random.nextInt(n % 10 == 0 ? 140 : 12);
        for (int i = 0; i < length; i++) {
          domain.append(random.nextInt(8) == 0 ? 'k' : alphabet.charAt(random.nextInt(alphabet.length())));
        }
        String d = domain.toString();
        String expected;
        try {
          expected = java.net.IDN.toASCII(d, java.net.IDN.USE_STD3_ASCII_RULES).toLowerCase(java.util.Locale.ROOT);
        } catch (IllegalArgumentException e) {
          expected = null;
        }
        String got;
        try {
          got = Address.of("a@" + d).domain();
        } catch (InvalidEmailException e) {
          got = null;
        }
        if (got != null) {
          assertThat(got).as(d).isEqualTo(expected);
        }
      }
    }

    @Test
    void rejectsANumericTopLevelDomainWithAHint() {
      assertThatThrownBy(() -> Address.of("ann@example.123"))
          .isInstanceOf(InvalidEmailException.class)
          .hasMessageContaining("numeric domain")
          .hasMessageContaining("[192.0.2.1]");
    }

    @Test
    void rejectsALabelOver63Characters() {
      assertThatThrownBy(() -> Address.of("a@" + "x".repeat(64) + ".org"))
          .isInstanceOf(InvalidEmailException.class);
    }

    @Test
    void rejectsADomainOver253Characters() {
      String domain = ("x".repeat(62) + ".").repeat(4) + "org"; // 255 characters

      assertThat(domain).hasSizeGreaterThan(253);
      assertThatThrownBy(() -> Address.of("a@" + domain)).isInstanceOf(InvalidEmailException.class);
    }

    @Test
    void rejectsABadDomainLiteralWithItsReason() {
      assertThatThrownBy(() -> Address.of("ann@[300.1.1.1]"))
          .isInstanceOf(InvalidEmailException.class)
          .hasMessageContaining("domain literal");
    }
  }

  @Nested
  class DisplayName {
    @ParameterizedTest
    @ValueSource(strings = {
        "Ann\r\nBcc: eve@example.org",
        "Ann\rDoe",
        "Ann\nDoe",
        "Ann\u0085Doe",
        "Ann\u2028Doe",
        "Ann\u2029Doe"
    })
    void rejectsLineBreaks(String name) {
      assertThatThrownBy(() -> Address.of("ann@example.org", name))
          .isInstanceOf(InvalidEmailException.class)
          .hasMessageContaining("display name")
          .hasMessageContaining("line break");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Ann\u0000", "Ann\u0007Doe", "Ann\u001b[31m", "Ann\u007f", "Ann\u009bDoe"})
    void rejectsControlCharacters(String name) {
      assertThatThrownBy(() -> Address.of("ann@example.org", name))
          .isInstanceOf(InvalidEmailException.class)
          .hasMessageContaining("control character");
    }

    @Test
    void rejectsControlCharactersInAParsedName() {
      assertThatThrownBy(() -> Address.parse("\"Ann\u0000\" <ann@example.org>"))
          .isInstanceOf(InvalidEmailException.class)
          .hasMessageContaining("control character");
    }

    @Test
    void allowsATab() {
      assertThat(Address.of("ann@example.org", "Ann\tDoe").name()).contains("Ann\tDoe");
    }

    @Test
    void rejectsAnUnpairedSurrogate() {
      assertThatThrownBy(() -> Address.of("ann@example.org", "Ann \uD83D"))
          .isInstanceOf(InvalidEmailException.class)
          .hasMessageContaining("surrogate");
    }

    @Test
    void rejectsABlankName() {
      assertThatThrownBy(() -> Address.of("ann@example.org", "   "))
          .isInstanceOf(InvalidEmailException.class)
          .hasMessageContaining("blank");
    }

    @Test
    void acceptsUpTo998Characters() {
      assertThat(Address.of("ann@example.org", "n".repeat(998)).name()).hasValue("n".repeat(998));
      assertThatThrownBy(() -> Address.of("ann@example.org", "n".repeat(999)))
          .isInstanceOf(InvalidEmailException.class)
          .hasMessageContaining("longer than 998");
    }
  }

  @Nested
  class EqualityAndText {
    @Test
    void domainsCompareCaseInsensitively() {
      Address lower = Address.of("ann@example.org");
      Address upper = Address.of("ann@EXAMPLE.ORG");

      assertThat(upper).isEqualTo(lower).hasSameHashCodeAs(lower);
    }

    @Test
    void localPartsCompareExactly() {
      assertThat(Address.of("Ann@example.org")).isNotEqualTo(Address.of("ann@example.org"));
    }

    @Test
    void theDisplayNameTakesPartInEquality() {
      assertThat(Address.of("ann@example.org", "Ann")).isNotEqualTo(Address.of("ann@example.org"));
      assertThat(Address.of("ann@example.org", "Ann")).isNotEqualTo(Address.of("ann@example.org", "Anne"));
      assertThat(Address.of("ann@example.org", "Ann")).isEqualTo(Address.of("ann@example.org", "Ann"));
    }

    @Test
    void isNotEqualToOtherTypes() {
      assertThat(Address.of("ann@example.org")).isNotEqualTo("ann@example.org");
    }

    @Test
    void toStringPrintsNameAndAddress() {
      assertThat(Address.of("ann@example.org", "Ann Doe")).hasToString("Ann Doe <ann@example.org>");
      assertThat(Address.of("ann@example.org")).hasToString("ann@example.org");
    }

    @ParameterizedTest
    @CsvSource({
        "ann@example.org,      a***@example.org",
        "a@example.org,        a***@example.org",
        "ann@EXAMPLE.org,      a***@example.org",
        "anna@bücher.example,  a***@xn--bcher-kva.example",
    })
    void maskedHidesAllButTheFirstCharacterOfTheLocalPart(String email, String masked) {
      assertThat(Address.of(email, "Ann Doe").masked()).isEqualTo(masked).doesNotContain("Ann");
    }
  }
}
