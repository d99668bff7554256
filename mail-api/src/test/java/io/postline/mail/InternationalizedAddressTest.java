package io.postline.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.spi.Capabilities;
import java.text.Normalizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Addresses with a UTF-8 local part (RFC 6531/6532): accepted, flagged, and validated strictly. */
class InternationalizedAddressTest {

  @ParameterizedTest
  @ValueSource(strings = {"jürgen@example.org", "山田@example.jp", "δοκιμή@παράδειγμα.δοκιμή",
      "\"jürgen müller\"@example.org", "क़@example.in", "user\u200d@example.org"})
  void acceptsUtf8LocalPartsAndFlagsThem(String email) {
    Address a = Address.of(email);

    assertThat(a.isInternationalized()).isTrue();
    assertThat(a.localPart()).isEqualTo(email.substring(0, email.lastIndexOf('@')));
    assertThat(a.domain()).matches("[a-z0-9.-]+");
  }

  @Test
  void theDomainGoesOutAsAnALabelAndTheLocalPartAsGiven() {
    Address a = Address.of("jürgen@bücher.example");

    assertThat(a.asciiEmail()).isEqualTo("jürgen@xn--bcher-kva.example");
    assertThat(a.masked()).isEqualTo("j***@xn--bcher-kva.example");
  }

  @Test
  void asciiAddressesAreNotInternationalizedEvenWithAnIdnDomain() {
    assertThat(Address.of("anna@bücher.example").isInternationalized()).isFalse();
    assertThat(Address.of("anna@example.org").isInternationalized()).isFalse();
  }

  @Test
  void theMaskOfAnAstralFirstCharacterKeepsTheWholeCharacter() {
    assertThat(Address.of("\uD83D\uDE00smile@example.org").masked()).isEqualTo("\uD83D\uDE00***@example.org");
  }

  @Test
  void theLocalPartLimitCountsUtf8Octets() {
    // 32 two-octet characters: 64 octets, the limit; one more is over it.
    assertThat(Address.of("ü".repeat(32) + "@example.org").localPart()).hasSize(32);
    assertThatThrownBy(() -> Address.of("ü".repeat(32) + "a@example.org"))
        .isInstanceOf(InvalidEmailException.class).hasMessageContaining("64 octets");
  }

  @Test
  void aLocalPartNotInNfcIsRefusedWithTheWayToNormalizeIt() {
    String decomposed = Normalizer.normalize("jürgen", Normalizer.Form.NFD);

    assertThatThrownBy(() -> Address.of(decomposed + "@example.org"))
        .isInstanceOf(InvalidEmailException.class)
        .hasMessageContaining("NFC")
        .hasMessageContaining("Normalizer");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      ann\u0091x@example.org      | U+0091
      ann\u00a0x@example.org      | U+00A0
      ann\u200bx@example.org      | U+200B
      ann\u202ex@example.org      | U+202E
      ann\ue000x@example.org      | U+E000
      ann\u0378x@example.org      | U+0378
      jür gen@example.org         | not allowed in a local part
      jür..gen@example.org        | double dot
      """)
  void refusesCharactersThatDoNotPrintOrMeanTheSameEverywhere(String email, String reason) {
    assertThatThrownBy(() -> Address.of(email))
        .isInstanceOf(InvalidEmailException.class)
        .hasMessageContaining(reason);
  }

  @Test
  void anUnpairedSurrogateIsRefused() {
    assertThatThrownBy(() -> Address.of("ann\uD800x@example.org"))
        .isInstanceOf(InvalidEmailException.class).hasMessageContaining("surrogate");
  }

  @Test
  void anEmailKnowsWhetherItNeedsSmtpUtf8AndBccCounts() {
    Email plain = Email.builder().from("shop@example.org").to("ann@example.org").subject("s").text("t").build();
    Email bcc = Email.builder().from("shop@example.org").to("ann@example.org").bcc("jürgen@example.org")
        .subject("s").text("t").build();
    Email from = Email.builder().from("jürgen@example.org").to("ann@example.org").subject("s").text("t").build();

    assertThat(plain.hasInternationalizedAddress()).isFalse();
    assertThat(bcc.hasInternationalizedAddress()).isTrue();
    assertThat(from.hasInternationalizedAddress()).isTrue();
  }

  @Test
  void aProviderRefusesThemUnlessItDeclaresThem() {
    Email email = Email.builder().from("shop@example.org").to("jürgen@example.org").subject("s").text("t").build();

    assertThat(Capabilities.builder().build().problems(email))
        .singleElement().asString().contains("internationalized addresses", "SMTPUTF8");
    assertThat(Capabilities.builder().internationalizedAddresses(true).build().problems(email)).isEmpty();
    assertThatThrownBy(() -> Capabilities.unlimited().check(email, "api"))
        .isInstanceOf(InvalidEmailException.class).hasMessageContaining("provider api");
  }
}
