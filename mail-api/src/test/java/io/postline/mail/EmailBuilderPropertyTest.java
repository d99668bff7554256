package io.postline.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.postline.mail.testing.HostileInputs;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Property: whatever the builder is fed, {@code build()} (and the {@link Address} and
 * {@link Attachment} factories on the way) ends in a valid {@link Email} or an
 * {@link InvalidEmailException} listing its problems, never in another exception; and every
 * valid email keeps the invariants the rest of Postline relies on.
 *
 * <p>Inputs come from {@link HostileInputs}; a failure names the case seed and every input.
 * Rerun with another base seed with {@code -Dpostline.hostile.seed=...}.
 */
class EmailBuilderPropertyTest {
  private static final int CASES = 6000;
  private static final Pattern HEADER_NAME = Pattern.compile("[!-9;-~]{1,76}");
  private static final Set<String> RESERVED = Set.of("from", "to", "cc", "bcc", "reply-to",
      "subject", "date", "message-id", "mime-version", "content-type",
      "content-transfer-encoding", "content-disposition", "content-id", "sender", "return-path",
      "received");

  @Test
  void hostileInputsEndInAValidEmailOrInvalidEmailExceptionOnly() {
    long base = HostileInputs.baseSeed();
    int valid = 0;
    int invalid = 0;
    Set<String> problemKinds = new HashSet<>();
    for (int i = 0; i < CASES; i++) {
      long seed = HostileInputs.caseSeed(base, i);
      Map<String, String> inputs = HostileInputs.newInputLog();
      HostileInputs generator = new HostileInputs(seed);
      Email email;
      try {
        email = generator.email(inputs);
      } catch (InvalidEmailException e) {
        List<String> broken = checkException(e);
        if (!broken.isEmpty()) {
          fail(HostileInputs.failureReport(seed, inputs, new AssertionError(broken)));
        }
        e.problems().forEach(p -> problemKinds.add(p.replaceAll("\\[\\d+]|header \\S+|metadata \\S+", "")));
        invalid++;
        continue;
      } catch (Throwable unexpected) {
        throw new AssertionError(HostileInputs.failureReport(seed, inputs, unexpected), unexpected);
      }
      List<String> broken = invariantsBrokenBy(email);
      if (!broken.isEmpty()) {
        fail(HostileInputs.failureReport(seed, inputs, new AssertionError(broken)));
      }
      valid++;
    }
    // The generator must exercise both outcomes, and many different problems.
    assertThat(valid).as("valid emails").isGreaterThan(CASES / 5);
    assertThat(invalid).as("rejected emails").isGreaterThan(CASES / 5);
    assertThat(problemKinds).as("kinds of problem reported").hasSizeGreaterThan(30);
  }

  @Test
  void generatorIsReproducible() {
    for (int i = 0; i < 50; i++) {
      long seed = HostileInputs.caseSeed(HostileInputs.DEFAULT_SEED, i);
      Map<String, String> first = HostileInputs.newInputLog();
      Map<String, String> second = HostileInputs.newInputLog();
      Object a = outcome(new HostileInputs(seed), first);
      Object b = outcome(new HostileInputs(seed), second);
      assertThat(second).isEqualTo(first);
      assertThat(b).isEqualTo(a);
    }
  }

  @Test
  void eachKindOfHostileTextIsRejectedInEveryOneLineField() {
    List<String> hostile = new ArrayList<>();
    hostile.addAll(HostileInputs.LINE_BREAKS);
    hostile.addAll(HostileInputs.CONTROLS);
    hostile.addAll(HostileInputs.LONE_SURROGATES);
    for (String bad : hostile) {
      String value = "before" + bad + "after";
      assertRejected(value, b -> b.subject(value));
      assertRejected(value, b -> b.header("X-Test", value));
      assertRejected(value, b -> b.tag(value));
      assertRejected(value, b -> b.metadata("key", value));
      assertRejected(value, b -> b.idempotencyKey(value));
      assertRejected(value, b -> b.caller(value));
      assertThatInvalid(value, () -> Address.of("ann@example.org", value));
      assertThatInvalid(value, () -> Attachment.of(value, new byte[0], "text/plain"));
    }
  }

  private static Object outcome(HostileInputs generator, Map<String, String> inputs) {
    try {
      return generator.email(inputs);
    } catch (InvalidEmailException e) {
      return e.problems();
    }
  }

  private interface Change {
    void apply(Email.Builder builder);
  }

  private static void assertRejected(String value, Change change) {
    Email.Builder builder = Email.builder().from("shop@example.org").to("ann@example.org")
        .subject("Hi").text("body");
    change.apply(builder);
    assertThatInvalid(value, builder::build);
  }

  private static void assertThatInvalid(String value, Runnable action) {
    try {
      action.run();
      fail("accepted " + HostileInputs.describe(value));
    } catch (InvalidEmailException e) {
      assertThat(e.problems()).as("problems for %s", HostileInputs.describe(value)).isNotEmpty();
    }
  }

  /** What is wrong with the exception itself: problems must exist and each be one clean line. */
  private static List<String> checkException(InvalidEmailException e) {
    List<String> broken = new ArrayList<>();
    if (e.problems().isEmpty()) {
      broken.add("InvalidEmailException without problems");
    }
    for (String problem : e.problems()) {
      if (problem.isBlank()) {
        broken.add("blank problem");
      }
      if (!isCleanLine(problem)) {
        broken.add("problem is not one clean line: " + HostileInputs.describe(problem));
      }
    }
    if (e.getMessage() == null || !isCleanLine(e.getMessage())) {
      broken.add("exception message is not one clean line");
    }
    return broken;
  }

  /** The invariants of a valid email that headers, logs and providers rely on. */
  private static List<String> invariantsBrokenBy(Email email) {
    List<String> broken = new ArrayList<>();
    List<Address> addresses = new ArrayList<>(List.of(email.from()));
    addresses.addAll(email.recipients());
    addresses.addAll(email.replyTo());
    for (Address address : addresses) {
      String ascii = address.asciiEmail();
      // Internationalized addresses (RFC 6531) keep their UTF-8 local part; the rest is ASCII.
      boolean asciiAsPromised = address.isInternationalized()
          ? StandardCharsets.US_ASCII.newEncoder().canEncode(address.domain())
          : StandardCharsets.US_ASCII.newEncoder().canEncode(ascii);
      if (!asciiAsPromised || !isCleanLine(ascii)
          || ascii.getBytes(StandardCharsets.UTF_8).length > 254 || !ascii.contains("@")) {
        broken.add("ASCII address is not a clean ASCII addr-spec: " + HostileInputs.describe(ascii));
      }
      if (!isCleanLine(address.email())) {
        broken.add("address is not one clean line: " + HostileInputs.describe(address.email()));
      }
      address.name().ifPresent(name -> {
        if (!isCleanLine(name) || name.length() > 998 || name.isBlank()) {
          broken.add("display name: " + HostileInputs.describe(name));
        }
      });
    }
    if (email.template().isEmpty()) {
      String subject = email.subject().orElse(null);
      if (subject == null) {
        broken.add("neither subject nor template");
      } else if (!isCleanLine(subject) || subject.length() > 998) {
        broken.add("subject: " + HostileInputs.describe(subject));
      }
      if (email.text().filter(t -> !t.isEmpty()).isEmpty()
          && email.html().filter(h -> !h.isEmpty()).isEmpty()) {
        broken.add("neither text nor html");
      }
    }
    email.headers().forEach((name, value) -> {
      if (!HEADER_NAME.matcher(name).matches() || RESERVED.contains(name.toLowerCase(Locale.ROOT))) {
        broken.add("header name: " + HostileInputs.describe(name));
      }
      if (!isCleanLine(value) || value.length() > 998) {
        broken.add("header " + name + " value: " + HostileInputs.describe(value));
      }
    });
    Set<String> contentIds = new HashSet<>();
    for (Attachment attachment : email.attachments()) {
      String name = attachment.fileName();
      if (!isCleanLine(name) || name.isBlank() || name.contains("/") || name.contains("\\")
          || name.length() > 255) {
        broken.add("attachment name: " + HostileInputs.describe(name));
      }
      if (!isCleanLine(attachment.contentType())) {
        broken.add("content type: " + HostileInputs.describe(attachment.contentType()));
      }
      attachment.contentId().ifPresent(id -> {
        if (!isCleanLine(id) || id.contains("<") || id.contains(">") || !contentIds.add(id)) {
          broken.add("content id: " + HostileInputs.describe(id));
        }
      });
    }
    for (String tag : email.tags()) {
      if (!isCleanLine(tag) || tag.isBlank()) {
        broken.add("tag: " + HostileInputs.describe(tag));
      }
    }
    email.metadata().forEach((key, value) -> {
      if (!isCleanLine(key) || !isCleanLine(value)) {
        broken.add("metadata: " + HostileInputs.describe(key + "=" + value));
      }
    });
    email.idempotencyKey().filter(k -> !isCleanLine(k) || k.isBlank())
        .ifPresent(k -> broken.add("idempotency key: " + HostileInputs.describe(k)));
    email.caller().filter(c -> !isCleanLine(c) || c.isBlank())
        .ifPresent(c -> broken.add("caller: " + HostileInputs.describe(c)));

    Email copy;
    try {
      copy = email.toBuilder().build();
    } catch (InvalidEmailException e) {
      broken.add("toBuilder().build() rejected a valid email: " + e.problems());
      return broken;
    }
    if (!copy.equals(email) || copy.hashCode() != email.hashCode()) {
      broken.add("toBuilder().build() is not equal to the original");
    }
    String described = email.toString();
    if (!isCleanLine(described)) {
      broken.add("toString() is not one clean line");
    }
    for (String body : List.of(email.text().orElse(""), email.html().orElse(""))) {
      if (body.length() >= 40 && described.contains(body)) {
        broken.add("toString() shows a body");
      }
    }
    return broken;
  }

  /**
   * One line that cannot break a header or a log line: no CR, LF or Unicode line separator, no
   * control character but TAB, no lone surrogate.
   */
  private static boolean isCleanLine(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\r' || c == '\n' || c == '\u0085' || c == '\u2028' || c == '\u2029'
          || (c < 0x20 && c != '\t') || (c >= 0x7f && c <= 0x9f)) {
        return false;
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }
}
