package io.postline.mail.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.InvalidEmailException;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CapabilitiesTest {

  private static Email.Builder email() {
    return Email.builder().from("shop@example.org").to("ann@example.org").subject("s").text("t");
  }

  @Test
  void unlimitedAcceptsEverything() {
    Email big = email().to("b@example.org", "c@example.org").cc("d@example.org").bcc("e@example.org")
        .attach(Attachment.of("a.bin", new byte[100_000], "application/octet-stream"))
        .tag("a").tag("b").metadata("k", "v").build();

    assertThat(Capabilities.unlimited().problems(big)).isEmpty();
    assertThatCode(() -> Capabilities.unlimited().check(big, "memory")).doesNotThrowAnyException();
  }

  @Test
  void unlimitedDefaults() {
    Capabilities c = Capabilities.unlimited();

    assertThat(c.maxRecipients()).isEqualTo(Integer.MAX_VALUE);
    assertThat(c.maxMessageBytes()).isEqualTo(Long.MAX_VALUE);
    assertThat(c.attachments()).isTrue();
    assertThat(c.tags()).isTrue();
    assertThat(c.maxTags()).isEqualTo(Integer.MAX_VALUE);
    assertThat(c.metadata()).isTrue();
    assertThat(c.scheduling()).isFalse();
    assertThat(c.maxScheduleAhead()).isEqualTo(Duration.ZERO);
    assertThat(c.batch()).isFalse();
    assertThat(c.maxBatchSize()).isEqualTo(1);
    assertThat(Capabilities.builder().build()).usingRecursiveComparison().isEqualTo(c);
  }

  @Test
  void maxRecipientsCountsToCcAndBcc() {
    Capabilities c = Capabilities.builder().maxRecipients(3).build();

    assertThat(c.problems(email().cc("b@example.org").bcc("c@example.org").build())).isEmpty();
    assertThat(c.problems(email().cc("b@example.org").bcc("c@example.org", "d@example.org").build()))
        .containsExactly("at most 3 recipients per message, this one has 4 (use sendBatch for group notifications)");
  }

  @Test
  void maxMessageBytesUsesTheApproximateSize() {
    Email email = email().attach(Attachment.of("a.bin", new byte[10_000], "application/octet-stream")).build();
    long size = email.approximateSize();

    assertThat(Capabilities.builder().maxMessageBytes(size).build().problems(email)).isEmpty();
    assertThat(Capabilities.builder().maxMessageBytes(size - 1).build().problems(email))
        .containsExactly("messages up to " + (size - 1) + " bytes, this one is about " + size);
  }

  @Test
  void attachments() {
    Capabilities none = Capabilities.builder().attachments(false).build();

    assertThat(none.attachments()).isFalse();
    assertThat(none.problems(email().build())).isEmpty();
    assertThat(none.problems(email().attach(Attachment.of("a", new byte[1], "text/plain")).build()))
        .containsExactly("attachments are not supported");
    assertThat(none.problems(email().attach(Attachment.inline("logo", new byte[1], "image/png")).build()))
        .containsExactly("attachments are not supported");
  }

  @Test
  void tags() {
    Capabilities noTags = Capabilities.builder().noTags().build();
    Capabilities twoTags = Capabilities.builder().tags(2).build();

    assertThat(noTags.tags()).isFalse();
    assertThat(noTags.maxTags()).isZero();
    assertThat(noTags.problems(email().build())).isEmpty();
    assertThat(noTags.problems(email().tag("a").build())).containsExactly("tags are not supported");
    assertThat(twoTags.problems(email().tag("a").tag("b").build())).isEmpty();
    assertThat(twoTags.problems(email().tag("a").tag("b").tag("c").build()))
        .containsExactly("at most 2 tags, this message has 3");
  }

  @Test
  void tagsAfterNoTagsTurnsThemBackOn() {
    Capabilities c = Capabilities.builder().noTags().tags(5).build();

    assertThat(c.tags()).isTrue();
    assertThat(c.maxTags()).isEqualTo(5);
  }

  @Test
  void metadata() {
    Capabilities none = Capabilities.builder().metadata(false).build();

    assertThat(none.problems(email().build())).isEmpty();
    assertThat(none.problems(email().metadata("k", "v").build())).containsExactly("metadata is not supported");
  }

  @Test
  void schedulingAndBatchAreDescribedNotChecked() {
    Capabilities c = Capabilities.builder().scheduling(Duration.ofDays(3)).batch(1000).build();
    Email farAhead = email().sendAt(Instant.now().plus(Duration.ofDays(30))).build();

    assertThat(c.scheduling()).isTrue();
    assertThat(c.maxScheduleAhead()).isEqualTo(Duration.ofDays(3));
    assertThat(c.batch()).isTrue();
    assertThat(c.maxBatchSize()).isEqualTo(1000);
    assertThat(c.problems(farAhead)).isEmpty();
  }

  @Test
  void everyProblemAtOnce() {
    Capabilities c = Capabilities.builder().maxRecipients(1).maxMessageBytes(100).attachments(false).noTags()
        .metadata(false).build();
    Email email = email().to("b@example.org").attach(Attachment.of("a", new byte[1], "text/plain"))
        .tag("t").metadata("k", "v").build();

    assertThat(c.problems(email)).hasSize(5);
  }

  @Test
  void checkNamesTheProviderInEveryProblem() {
    Capabilities c = Capabilities.builder().maxRecipients(1).noTags().build();
    Email email = email().to("b@example.org").tag("t").build();

    InvalidEmailException e = catchThrowableOfType(InvalidEmailException.class, () -> c.check(email, "sendgrid-eu"));

    assertThat(e.problems()).containsExactly(
        "provider sendgrid-eu: at most 1 recipients per message, this one has 2 (use sendBatch for group notifications)",
        "provider sendgrid-eu: tags are not supported");
    assertThat(e).hasMessageContaining("sendgrid-eu");
  }

  @Test
  void checkPassesWhenTheEmailFits() {
    assertThatCode(() -> Capabilities.builder().maxRecipients(1).build().check(email().build(), "smtp"))
        .doesNotThrowAnyException();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1})
  void limitsMustBePositive(int bad) {
    assertThatIllegalArgumentException().isThrownBy(() -> Capabilities.builder().maxRecipients(bad))
        .withMessage("maxRecipients must be at least 1, was " + bad);
    assertThatIllegalArgumentException().isThrownBy(() -> Capabilities.builder().maxMessageBytes(bad))
        .withMessage("maxMessageBytes must be at least 1, was " + bad);
    assertThatIllegalArgumentException().isThrownBy(() -> Capabilities.builder().tags(bad))
        .withMessage("maxTags must be at least 1, was " + bad);
    assertThatIllegalArgumentException().isThrownBy(() -> Capabilities.builder().batch(bad))
        .withMessage("maxBatchSize must be at least 1, was " + bad);
  }

  @Test
  void schedulingMustReachAhead() {
    assertThatIllegalArgumentException().isThrownBy(() -> Capabilities.builder().scheduling(Duration.ZERO))
        .withMessageContaining("must be positive");
    assertThatIllegalArgumentException().isThrownBy(() -> Capabilities.builder().scheduling(Duration.ofSeconds(-1)))
        .withMessageContaining("must be positive");
  }

  @Test
  void toStringListsTheLimits() {
    assertThat(Capabilities.builder().maxRecipients(50).tags(3).batch(100).build().toString())
        .contains("maxRecipients=50", "tags=true(max 3)", "batch=true(max 100)");
  }
}
