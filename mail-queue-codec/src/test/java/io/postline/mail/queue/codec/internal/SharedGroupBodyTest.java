package io.postline.mail.queue.codec.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.Recipient;
import io.postline.mail.core.QueuedMail;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Payload version 2: a group's shared body stored once ({@link QueuedMailJson.GroupEncoder}), each
 * copy's own part naming it, and the reader putting the two together again.
 */
class SharedGroupBodyTest {
  private static final Instant NOW = QueuedMailJsonCompatibilityTest.NOW;
  private static final AesGcmCipher CIPHER = new AesGcmCipher("k1",
      Map.of("k1", "0123456789abcdef".getBytes(StandardCharsets.US_ASCII)));

  private static Email group() {
    return Email.builder().from(Address.of("shop@example.org", "Shop")).replyTo("help@example.org")
        .subject("Sale ✓").text("x".repeat(5000)).html("<p>\"hi\"</p>")
        .attach(Attachment.of("a.txt", new byte[] {1, 2, 3}, "text/plain"))
        .header("X-Campaign", "sale").tag("sale").metadata("wave", "1").idempotencyKey("sale-1")
        .sendAt(NOW.plusSeconds(3600)).caller("campaigns").build();
  }

  private static List<QueuedMail> copies(Email email, String tag, int n) {
    List<QueuedMail> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Email copy = email.forRecipient(Recipient.of(Address.of(tag + i + "@example.org"), Map.of()));
      out.add(new QueuedMail(tag + "-" + i, copy, 0, NOW, NOW.plusSeconds(3600), Optional.of("corr-" + i)));
    }
    return out;
  }

  private static QueuedMailJson.GroupEncoder encoder() {
    AtomicInteger ids = new AtomicInteger();
    return new QueuedMailJson.GroupEncoder(() -> "share-" + ids.incrementAndGet());
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void copiesNameOneShareAndReadBackAsTheWholeMessage() {
    List<QueuedMail> batch = new ArrayList<>(copies(group(), "r", 4));
    QueuedMail other = QueuedMailJsonCompatibilityTest.mails().get(2);
    batch.add(other);

    QueuedMailJson.Chunk chunk = encoder().encode(batch);

    assertThat(chunk.shares()).extracting(QueuedMailJson.Share::id).containsExactly("share-1");
    assertThat(chunk.shareOf()).containsExactly(0, 0, 0, 0, -1);
    byte[] share = chunk.shares().get(0).json();
    assertThat(text(share)).startsWith("{\"v\":2,\"share\":\"share-1\",\"email\":{\"subject\":")
        .contains("xxxxx").doesNotContain("r0@example.org");
    for (int i = 0; i < 4; i++) {
      String own = text(chunk.payloads().get(i));
      assertThat(own).startsWith("{\"v\":2,").contains("\"share\":\"share-1\"").contains("r" + i + "@example.org")
          .doesNotContain("xxxxx").doesNotContain("Sale");
      assertThat(own.length()).isLessThan(500);
      QueuedMail back = QueuedMailJson.open(chunk.payloads().get(i), share, PayloadCipher.NONE, batch.get(i).id(), NOW);
      assertThat(back).usingRecursiveComparison().isEqualTo(batch.get(i));
    }
    // A message no neighbour shares a body with is written whole, exactly as on its own.
    assertThat(text(chunk.payloads().get(4))).isEqualTo(text(QueuedMailJson.encode(other)));
  }

  @Test
  void aShareRunsOnAcrossChunksAndANewBodyStartsANewOne() {
    QueuedMailJson.GroupEncoder encoder = encoder();
    List<QueuedMail> first = copies(group(), "a", 3);
    Email second = Email.builder().from("shop@example.org").subject("Other").text("y".repeat(100)).build();

    QueuedMailJson.Chunk one = encoder.encode(first);
    // The next chunk: one more copy of the same group (alone in its chunk), then another group.
    List<QueuedMail> next = new ArrayList<>(copies(group(), "b", 1));
    next.addAll(copies(second, "c", 2));
    QueuedMailJson.Chunk two = encoder.encode(next);

    assertThat(one.shares()).extracting(QueuedMailJson.Share::id).containsExactly("share-1");
    assertThat(two.shares()).extracting(QueuedMailJson.Share::id).containsExactly("share-1", "share-2");
    assertThat(two.shareOf()).containsExactly(0, 1, 1);
    QueuedMail back = QueuedMailJson.open(two.payloads().get(0), two.shares().get(0).json(), PayloadCipher.NONE,
        "b-0", NOW);
    assertThat(back).usingRecursiveComparison().isEqualTo(next.get(0));
    QueuedMail c1 = QueuedMailJson.open(two.payloads().get(2), two.shares().get(1).json(), PayloadCipher.NONE,
        "c-1", NOW);
    assertThat(c1.email().subject()).contains("Other");
  }

  @Test
  void sealedPartsAreReadWithoutChecksAndOnlyTogether() {
    List<QueuedMail> batch = copies(group(), "r", 2);
    QueuedMailJson.Chunk chunk = encoder().encode(batch);
    QueuedMailJson.Share share = chunk.shares().get(0);
    byte[] sealedShare = CIPHER.seal(share.json(), QueuedMailJson.shareContext(share.id()));
    byte[] sealed = CIPHER.seal(chunk.payloads().get(0), "r-0");

    assertThat(text(sealedShare)).doesNotContain("Sale").doesNotContain("xxxxx");
    QueuedMail back = QueuedMailJson.open(sealed, sealedShare, CIPHER, "r-0", NOW);
    assertThat(back).usingRecursiveComparison().isEqualTo(batch.get(0));

    // A share sealed for another id does not open; a plaintext share does not pass for a sealed one.
    byte[] elsewhere = CIPHER.seal(share.json(), QueuedMailJson.shareContext("other"));
    assertThatThrownBy(() -> QueuedMailJson.open(sealed, elsewhere, CIPHER, "r-0", NOW))
        .isInstanceOf(CorruptPayloadException.class).hasMessageContaining("does not open");
    assertThatThrownBy(() -> QueuedMailJson.open(sealed, share.json(), CIPHER, "r-0", NOW))
        .isInstanceOf(CorruptPayloadException.class).hasMessageContaining("not encrypted");
    // The payload cannot be read without its share, nor with a share that names another group.
    assertThatThrownBy(() -> QueuedMailJson.open(sealed, null, CIPHER, "r-0", NOW))
        .isInstanceOf(CorruptPayloadException.class).hasMessageContaining("missing");
    byte[] renamed = text(share.json()).replace("share-1", "share-9").getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> QueuedMailJson.open(chunk.payloads().get(0), renamed, PayloadCipher.NONE, "r-0", NOW))
        .isInstanceOf(CorruptPayloadException.class).hasMessageContaining("another group");
  }

  @Test
  void aPlaintextShareIsCheckedInFullAndMayHoldOnlyBodyFields() {
    List<QueuedMail> batch = copies(group(), "r", 2);
    QueuedMailJson.Chunk chunk = encoder().encode(batch);
    String share = text(chunk.shares().get(0).json());
    byte[] own = chunk.payloads().get(0);

    byte[] badMetadata = share.replace("\"priority\"", "\"metadata\":{\"not a key\":\"v\"},\"priority\"")
        .getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> QueuedMailJson.open(own, badMetadata, PayloadCipher.NONE, "r-0", NOW))
        .isInstanceOf(CorruptPayloadException.class).hasMessageContaining("metadata key");
    byte[] withRecipient = share.replace("\"subject\"", "\"to\":[{\"email\":\"eve@example.org\"}],\"subject\"")
        .getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> QueuedMailJson.open(own, withRecipient, PayloadCipher.NONE, "r-0", NOW))
        .isInstanceOf(CorruptPayloadException.class).hasMessageContaining("\"to\"");
    byte[] ownWithBody = text(own).replace("\"from\"", "\"subject\":\"forged\",\"from\"")
        .getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> QueuedMailJson.open(ownWithBody, share.getBytes(StandardCharsets.UTF_8),
        PayloadCipher.NONE, "r-0", NOW)).isInstanceOf(CorruptPayloadException.class).hasMessageContaining("subject");
  }

  @Test
  void theSingleMessageReaderRefusesVersionTwoWithoutItsShare() {
    QueuedMailJson.Chunk chunk = encoder().encode(copies(group(), "r", 2));

    assertThatThrownBy(() -> QueuedMailJson.decode(chunk.payloads().get(0), NOW))
        .isInstanceOf(CorruptPayloadException.class).hasMessageContaining("shared body");
  }
}
