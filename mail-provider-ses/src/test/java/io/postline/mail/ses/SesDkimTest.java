package io.postline.mail.ses;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static io.postline.mail.tck.DkimTestKeys.ED25519;
import static io.postline.mail.tck.DkimTestKeys.RECORDS;
import static io.postline.mail.tck.DkimTestKeys.RSA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.mime.DkimSigner;
import io.postline.mail.mime.Smime;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.ProviderException;
import io.postline.mail.spi.ProviderSettings;
import io.postline.mail.tck.Dkimpy;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * DKIM on SES raw sends: the SES v2 {@code SendEmail} requests WireMock received carry
 * {@code Content.Raw.Data}, the MIME message Postline signed, which dkimpy verifies with the public
 * keys given directly.
 */
@Timeout(120)
class SesDkimTest {
  private static final String ACCESS_KEY = "AKIADKIMTEST00000001";
  private static final String SECRET = "dkim-test-secret";

  @RegisterExtension
  static WireMockExtension wire = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  private final List<SesProvider> providers = new ArrayList<>();

  @BeforeEach
  void stub() {
    wire.stubFor(post(SesWire.PATH).willReturn(aResponse().withStatus(200).withBody("{\"MessageId\":\"0102-dkim\"}")));
  }

  @AfterEach
  void close() {
    providers.forEach(SesProvider::close);
  }

  SesProvider provider(DkimSigner signer) {
    SesProvider ses = SesProvider.builder().region("eu-west-1").credentials(ACCESS_KEY, SECRET)
        .endpoint(URI.create(wire.baseUrl())).dkim(signer).build();
    providers.add(ses);
    return ses;
  }

  static DkimSigner dual() {
    return DkimSigner.builder().key("example.org", "rsa2025", RSA.getPrivate())
        .key("example.org", "ed2025", ED25519.getPrivate()).build();
  }

  /** The raw MIME bytes of every request SES accepted, oldest first. */
  static List<byte[]> rawSent() {
    return SesWire.acceptedBodies(wire).stream().map(SesDkimTest::raw).toList();
  }

  static byte[] raw(JsonNode body) {
    JsonNode data = body.path("Content").path("Raw").path("Data");
    assertThat(data.isTextual()).as("a Raw request: %s", body.path("Content").fieldNames()).isTrue();
    return Base64.getDecoder().decode(data.asText());
  }

  @Test
  void richAndPlainMessagesGoRawWithRsaAndEd25519SignaturesThatVerify() throws Exception {
    SesProvider ses = provider(dual());

    ses.send(Dkimpy.richEmail("billing@example.org"));
    // Without Postline's DKIM this one would be Simple content, which SES writes itself.
    ses.send(Email.builder().from("shop@example.org").to("ann@example.org").subject("Hi").text("plain").build());

    List<byte[]> sent = rawSent();
    assertThat(sent).hasSize(2);
    for (byte[] message : sent) {
      assertThat(Dkimpy.verify(message, RECORDS)).containsExactly(
          "example.org rsa2025 rsa-sha256 pass", "example.org ed2025 ed25519-sha256 pass");
    }
    String text = new String(sent.get(0), StandardCharsets.US_ASCII);
    assertThat(text.split("\r\nMessage-ID: ", -1)).hasSize(2);
    assertThat(ses.capabilities().dkimSigning()).isEqualTo(Capabilities.DkimSigning.POSTLINE);
    assertThat(ses.toString()).contains("dkim=[example.org]");
  }

  @Test
  void aBodyChangedAfterSigningFailsVerification() throws Exception {
    SesProvider ses = provider(dual());
    ses.send(Email.builder().from("billing@example.org").to("bob@example.org").subject("Invoice")
        .text("Please pay 100 EUR to account 1234.").build());
    byte[] message = rawSent().get(0);
    String text = new String(message, StandardCharsets.ISO_8859_1);
    assertThat(text).contains("pay 100 EUR");

    byte[] changed = text.replace("pay 100 EUR", "pay 900 EUR").getBytes(StandardCharsets.ISO_8859_1);

    assertThat(Dkimpy.verify(changed, RECORDS)).hasSize(2)
        .allMatch(line -> line.contains(" fail ") && line.contains("body hash mismatch"));
  }

  @Test
  void aSenderWithoutAKeyIsNeverSentUnsignedButFailsPermanently() {
    SesProvider ses = provider(dual());

    ProviderException e = catchThrowableOfType(ProviderException.class,
        () -> ses.send(Email.builder().from("billing@example.net").to("bob@example.org").subject("x").text("y").build()));

    assertThat(e.kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(e.provider()).isEqualTo("ses");
    assertThat(e.getMessage()).contains("not sent").contains("no DKIM key for the From domain example.net");
    assertThat(wire.getAllServeEvents()).isEmpty();
  }

  @Test
  void numberedDsnKeysFromAFileAndFromPemTextSignAndNoPrintedFormShowsThem(@TempDir Path dir) throws Exception {
    Path rsaPem = dir.resolve("rsa.pem");
    Files.writeString(rsaPem, Dkimpy.pem(RSA.getPrivate()));
    String edPem = Dkimpy.pem(ED25519.getPrivate());
    ProviderSettings dsn = ProviderSettings.parse("ses://" + ACCESS_KEY + ":" + SECRET + "@default?region=eu-west-1"
        + "&endpoint=" + URLEncoder.encode(wire.baseUrl(), StandardCharsets.UTF_8)
        + "&dkim.domain=example.org&dkim.1.selector=rsa2025&dkim.1.key=" + rsaPem
        + "&dkim.2.selector=ed2025&dkim.2.keyPem=" + URLEncoder.encode(edPem, StandardCharsets.UTF_8).replace("+", "%20"));
    SesProvider ses = SesProvider.create(dsn);
    providers.add(ses);

    ses.send(Dkimpy.richEmail("news@shop.example.org"));

    assertThat(Dkimpy.verify(rawSent().get(0), RECORDS)).containsExactly(
        "example.org rsa2025 rsa-sha256 pass", "example.org ed2025 ed25519-sha256 pass");
    String edBase64 = Base64.getEncoder().encodeToString(ED25519.getPrivate().getEncoded());
    for (String printed : List.of(dsn.toString(), dsn.maskedDsn(), ses.toString())) {
      assertThat(printed).doesNotContain(rsaPem.toString()).doesNotContain(edBase64.substring(0, 30))
          .doesNotContain("BEGIN").doesNotContain(SECRET);
    }
  }

  @Test
  void withoutPostlineKeysSesSaysItSignsItselfAndPlainMailStaysSimple() throws Exception {
    SesProvider ses = SesProvider.builder().region("eu-west-1").credentials(ACCESS_KEY, SECRET)
        .endpoint(URI.create(wire.baseUrl())).build();
    providers.add(ses);

    ses.send(Email.builder().from("shop@example.org").to("ann@example.org").subject("Hi").text("plain").build());

    assertThat(ses.capabilities().dkimSigning()).isEqualTo(Capabilities.DkimSigning.PROVIDER);
    assertThat(SesWire.acceptedBodies(wire).get(0).path("Content").has("Simple")).isTrue();
  }

  @Test
  void smimeOnRawSendsFailsTransientWhenTheLookupFailsAndPermanentWithoutACertificate() {
    SesProvider down = SesProvider.builder().region("eu-west-1").credentials(ACCESS_KEY, SECRET)
        .endpoint(URI.create(wire.baseUrl())).dkim(dual()).smime(Smime.builder().encryptTo(a -> {
          throw new IllegalStateException("directory down");
        }).build()).build();
    providers.add(down);
    SesProvider none = SesProvider.builder().region("eu-west-1").credentials(ACCESS_KEY, SECRET)
        .endpoint(URI.create(wire.baseUrl())).smime(Smime.builder().encryptTo(a -> Optional.empty()).build()).build();
    providers.add(none);
    Email email = Email.builder().from("billing@example.org").to("bob@example.org").subject("x").text("y").build();

    ProviderException transientFailure = catchThrowableOfType(ProviderException.class, () -> down.send(email));
    ProviderException permanent = catchThrowableOfType(ProviderException.class, () -> none.send(email));

    assertThat(transientFailure.kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(transientFailure.getMessage()).contains("S/MIME certificate lookup failed (java.lang.IllegalStateException)");
    assertThat(transientFailure.getCause()).hasMessage("directory down");
    assertThat(permanent.kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(permanent.getMessage()).contains("no S/MIME certificate to encrypt to for recipient(s) [b***@example.org]");
    assertThat(wire.getAllServeEvents()).isEmpty();
  }

  @Test
  void aDkimOptionSesDoesNotKnowIsNamed() {
    assertThatThrownBy(() -> SesProvider.create(ProviderSettings.parse(
        "ses://default?region=eu-west-1&dkim.domain=example.org&dkim.1.selectr=s")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown DKIM option dkim.1.selectr of provider ses");
  }
}
