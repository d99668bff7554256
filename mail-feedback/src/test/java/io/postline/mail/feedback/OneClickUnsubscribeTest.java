package io.postline.mail.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.postline.mail.Address;
import io.postline.mail.Email;
import io.postline.mail.core.AddressHasher;
import io.postline.mail.core.SuppressionEntry;
import io.postline.mail.core.SuppressionEntry.Reason;
import io.postline.mail.core.SuppressionList;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class OneClickUnsubscribeTest {
  static final byte[] OLD = "old-unsubscribe-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  static final byte[] NEW = "new-unsubscribe-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  final SuppressionList suppressions = SuppressionList.inMemory(
      AddressHasher.hmacSha256("suppression-key-0123456789abcdef0123".getBytes(StandardCharsets.UTF_8)),
      Clock.fixed(NOW, ZoneOffset.UTC));
  final URI endpoint = URI.create("https://mail.example.org/unsubscribe");

  OneClickUnsubscribe withKey(String id, byte[] key) {
    return OneClickUnsubscribe.builder(suppressions, endpoint).signingKey(id, key)
        .mailto(Address.of("unsubscribe@example.org")).clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
  }

  static Email newsletter() {
    return Email.builder().from("news@example.org").to("Ann@Example.org").subject("March").text("hello").build();
  }

  static String token(Email email) {
    Matcher m = Pattern.compile("\\?t=([^>]+)>").matcher(email.headers().get("List-Unsubscribe"));
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  @Test
  void theHeadersCarryASignedTokenWithoutTheAddress() {
    Email email = withKey("k1", OLD).apply(newsletter(), "news");
    String header = email.headers().get("List-Unsubscribe");
    assertThat(header).startsWith("<https://mail.example.org/unsubscribe?t=k1.news.")
        .contains("<mailto:unsubscribe@example.org?subject=unsubscribe%20k1.news.")
        .doesNotContainIgnoringCase("ann").doesNotContain("example.org?t");
    assertThat(email.headers()).containsEntry("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
    assertThat(email.metadata()).containsEntry(SuppressionList.LIST_METADATA_KEY, "news");
  }

  @Test
  void aValidPostSuppressesThatRecipientOnThatList() {
    OneClickUnsubscribe unsubscribe = withKey("k1", OLD);
    String token = token(unsubscribe.apply(newsletter(), "news"));
    SuppressionEntry entry = unsubscribe.unsubscribe(token, "List-Unsubscribe=One-Click");
    assertThat(entry.reason()).isEqualTo(Reason.UNSUBSCRIBE);
    assertThat(entry.source()).isEqualTo("one-click");
    assertThat(entry.createdAt()).isEqualTo(NOW);
    var ann = suppressions.hash(Address.of("ann@example.org"));
    assertThat(suppressions.find(ann, "news")).contains(entry);
    assertThat(suppressions.find(ann, "billing")).isEmpty();
    assertThat(suppressions.find(suppressions.hash(Address.of("bob@example.org")), "news")).isEmpty();
  }

  @Test
  void keysRotate() {
    String oldToken = token(withKey("k1", OLD).apply(newsletter(), "news"));
    OneClickUnsubscribe rotated = OneClickUnsubscribe.builder(suppressions, endpoint)
        .signingKey("k2", NEW).acceptedKey("k1", OLD).build();
    assertThat(token(rotated.apply(newsletter(), "news"))).startsWith("k2.");
    assertThat(rotated.unsubscribe(oldToken, "List-Unsubscribe=One-Click").list()).contains("news");

    OneClickUnsubscribe retired = withKey("k2", NEW);
    assertRefused(retired, oldToken, "List-Unsubscribe=One-Click", WebhookRejectedException.Reason.BAD_SIGNATURE);
  }

  @Test
  void forgedTokensAndOtherBodiesAreRefusedAndRecordNothing() {
    OneClickUnsubscribe unsubscribe = withKey("k1", OLD);
    String token = token(unsubscribe.apply(newsletter(), "news"));
    String otherList = token.replace("k1.news.", "k1.offers.");
    String bobHash = suppressions.hash(Address.of("bob@example.org")).hex();
    String otherRecipient = token.replaceAll("\\.[0-9a-f]{64}\\.", "." + bobHash + ".");
    String badMac = token.substring(0, token.length() - 2) + (token.endsWith("AA") ? "BB" : "AA");
    for (String forged : new String[] {otherList, otherRecipient, badMac, token.replace("k1.", "k9.")}) {
      assertRefused(unsubscribe, forged, "List-Unsubscribe=One-Click", WebhookRejectedException.Reason.BAD_SIGNATURE);
    }
    assertRefused(unsubscribe, "garbage", "List-Unsubscribe=One-Click", WebhookRejectedException.Reason.MALFORMED);
    // A GET-style or empty body is not a one-click unsubscribe (link scanners must not unsubscribe).
    assertRefused(unsubscribe, token, "", WebhookRejectedException.Reason.MALFORMED);
    assertRefused(unsubscribe, token, "List-Unsubscribe=Maybe", WebhookRejectedException.Reason.MALFORMED);
    assertThat(suppressions.count()).isZero();
    assertThat(unsubscribe.unsubscribe(token, "x=1&List-Unsubscribe%3DOne-Click").list()).contains("news");
  }

  @Test
  void misuseIsAConfigurationError() {
    OneClickUnsubscribe unsubscribe = withKey("k1", OLD);
    Email two = Email.builder().from("news@example.org").to("ann@example.org", "bob@example.org").subject("s").text("t").build();
    assertThatIllegalArgumentException().isThrownBy(() -> unsubscribe.apply(two, "news"));
    assertThatIllegalArgumentException().isThrownBy(() -> unsubscribe.apply(newsletter(), "no spaces"));
    assertThatIllegalArgumentException().isThrownBy(() -> OneClickUnsubscribe.builder(suppressions, URI.create("http://x.example/u")));
    assertThatIllegalArgumentException().isThrownBy(() ->
        OneClickUnsubscribe.builder(suppressions, endpoint).signingKey("k1", new byte[8]));
  }

  private void assertRefused(OneClickUnsubscribe unsubscribe, String token, String body, WebhookRejectedException.Reason reason) {
    WebhookRejectedException e = catchThrowableOfType(WebhookRejectedException.class, () -> unsubscribe.unsubscribe(token, body));
    assertThat(e).as("refused").isNotNull();
    assertThat(e.reason()).isEqualTo(reason);
    assertThat(e.getMessage()).doesNotContain(token);
  }
}
