package io.postline.mail.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.postline.mail.Address;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The order and failures SMTP and SES share; the signatures are verified by openssl and dkimpy in their tests. */
class MimeSigningTest {
  private static final List<Address> TO = List.of(Address.of("b@example.org"));

  @Test
  void withNothingToDoTheMessageIsSentAsItIs() {
    byte[] eml = DkimSignerTest.eml("hello");
    assertThat(MimeSigning.apply(eml, TO, null, null)).isSameAs(eml);
  }

  @Test
  void dkimSignsWhatSmimeMadeLast() {
    Smime smime = Smime.builder().encryptTo(recipient -> Optional.of(SmimeFixture.certificate())).build();
    DkimSigner dkim = DkimSigner.builder().key("example.org", "s", DkimSignerTest.ED25519).build();
    String sent = new String(MimeSigning.apply(DkimSignerTest.eml("hello"), TO, smime, dkim), StandardCharsets.US_ASCII);
    assertThat(sent).startsWith("DKIM-Signature:");
    assertThat(sent).contains("application/pkcs7-mime").doesNotContain("hello");
  }

  @Test
  void aLookupThatThrowsIsTransientAndKeepsWhatItSaidOutOfTheMessage() {
    Smime smime = Smime.builder().encryptTo(recipient -> {
      throw new IllegalStateException("directory down for b@example.org");
    }).build();
    CertificateLookupException e = catchThrowableOfType(CertificateLookupException.class,
        () -> MimeSigning.apply(DkimSignerTest.eml("hello"), TO, smime, null));
    assertThat(e.getMessage()).isEqualTo("the S/MIME certificate lookup failed (java.lang.IllegalStateException)");
    assertThat(e.getCause()).hasMessageContaining("directory down");
  }

  @Test
  void aRecipientWithoutACertificateIsASigningFailure() {
    Smime smime = Smime.builder().encryptTo(recipient -> Optional.empty()).build();
    SigningException e = catchThrowableOfType(SigningException.class,
        () -> MimeSigning.apply(DkimSignerTest.eml("hello"), TO, smime, null));
    assertThat(e.getMessage()).contains("no S/MIME certificate");
  }
}
