package io.postline.mail;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AttachmentTest {
  private static final byte[] PDF = "%PDF-1.7 secret report".getBytes(UTF_8);

  @Test
  void regularAttachment() {
    Attachment a = Attachment.of("report.pdf", PDF, "application/pdf");

    assertThat(a.fileName()).isEqualTo("report.pdf");
    assertThat(a.content()).isEqualTo(PDF);
    assertThat(a.size()).isEqualTo(PDF.length);
    assertThat(a.contentType()).isEqualTo("application/pdf");
    assertThat(a.contentId()).isEmpty();
    assertThat(a.isInline()).isFalse();
  }

  @Test
  void inlinePartUsesTheContentIdAsFileName() {
    Attachment a = Attachment.inline("logo", new byte[] {1, 2, 3}, "image/png");

    assertThat(a.isInline()).isTrue();
    assertThat(a.contentId()).contains("logo");
    assertThat(a.fileName()).isEqualTo("logo");
  }

  @Test
  void inlinePartWithItsOwnFileName() {
    Attachment a = Attachment.inline("logo@example.org", "logo.png", new byte[] {1}, "image/png");

    assertThat(a.contentId()).contains("logo@example.org");
    assertThat(a.fileName()).isEqualTo("logo.png");
  }

  @Test
  void copiesTheContentInAndOut() {
    byte[] source = {1, 2, 3};
    Attachment a = Attachment.of("a.bin", source, "application/octet-stream");

    source[0] = 9;
    a.content()[1] = 9;

    assertThat(a.content()).containsExactly(1, 2, 3);
  }

  @Test
  void opensTheContentAsAStream() throws IOException {
    Attachment a = Attachment.of("report.pdf", PDF, "application/pdf");

    try (InputStream in = a.openStream()) {
      assertThat(in.readAllBytes()).isEqualTo(PDF);
    }
  }

  @Test
  void acceptsAnEmptyFile() {
    assertThat(Attachment.of("empty.txt", new byte[0], "text/plain").size()).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "Rechnung März 2024.pdf",
      "résumé (final).docx",
      "データ.csv",
      "a",
      ".hidden",
      "..foo",
      "file with spaces and, commas; semicolons.txt"
  })
  void acceptsOrdinaryFileNames(String name) {
    assertThat(Attachment.of(name, PDF, "application/pdf").fileName()).isEqualTo(name);
  }

  @ParameterizedTest
  @ValueSource(strings = {"../etc/passwd", "dir/file.pdf", "C:\\temp\\file.pdf", "/abs", "a\\b"})
  void rejectsPathSeparatorsInFileNames(String name) {
    assertThat(problemsOf(() -> Attachment.of(name, PDF, "application/pdf")))
        .containsExactly("attachment file name contains a path separator");
  }

  @ParameterizedTest
  @ValueSource(strings = {"report\r\n.pdf", "report\n.pdf", "a\u0000b", "a\u001fb", "a\u007fb", "a\u2028b", "a\u0085b", "a\tb"})
  void rejectsControlCharactersInFileNames(String name) {
    assertThat(problemsOf(() -> Attachment.of(name, PDF, "application/pdf")))
        .containsExactly("attachment file name contains a control character");
  }

  @ParameterizedTest
  @ValueSource(strings = {"invoice\u202Efdp.exe", "a\u202Ab", "a\u202Db", "a\u2066b", "a\u2069b"})
  void rejectsBidiOverridesThatDisguiseFileTypes(String name) {
    assertThat(problemsOf(() -> Attachment.of(name, PDF, "application/pdf")))
        .containsExactly("attachment file name contains a bidirectional override character");
  }

  @Test
  void compositeTypesMustBeSendableAsTheyAre() {
    assertThat(problemsOf(() -> Attachment.of("x.bin", new byte[] {1}, "multipart/mixed")))
        .singleElement().asString().contains("needs a boundary parameter");
    assertThat(problemsOf(() -> Attachment.of("x.bin", "a\nb".getBytes(UTF_8), "multipart/mixed; boundary=xyz")))
        .singleElement().asString().contains("multipart/* attachment must use CRLF line ends");
    assertThat(problemsOf(() -> Attachment.of("x.eml", "Subject: x\n\nbody\n".getBytes(UTF_8), "message/rfc822")))
        .singleElement().asString().contains("CRLF line ends");
    assertThat(problemsOf(() -> Attachment.of("x.eml", ("Subject: x\r\n\r\n" + "a".repeat(999)).getBytes(UTF_8),
        "message/rfc822"))).singleElement().asString().contains("longer than 998");
    assertThat(problemsOf(() -> Attachment.of("x.eml", new byte[] {'a', 0, 'b'}, "message/rfc822")))
        .singleElement().asString().contains("NUL");
    assertThat(Attachment.of("x.eml", "Subject: x\r\n\r\nbody\r\n".getBytes(UTF_8), "message/rfc822").size())
        .isEqualTo(20);
  }

  @Test
  void acceptsRightToLeftNamesWithoutOverrides() {
    assertThat(Attachment.of("\u05d3\u05d5\u05d7.pdf", PDF, "application/pdf").fileName()).isEqualTo("\u05d3\u05d5\u05d7.pdf");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "  \t  "})
  void rejectsBlankFileNames(String name) {
    assertThat(problemsOf(() -> Attachment.of(name, PDF, "application/pdf")))
        .containsExactly("attachment file name is blank");
  }

  @ParameterizedTest
  @ValueSource(strings = {".", ".."})
  void rejectsDotNames(String name) {
    assertThat(problemsOf(() -> Attachment.of(name, PDF, "application/pdf")))
        .containsExactly("attachment file name is '.' or '..'");
  }

  @Test
  void rejectsAnUnpairedSurrogateInTheFileName() {
    assertThat(problemsOf(() -> Attachment.of("a\uDC00.pdf", PDF, "application/pdf")))
        .containsExactly("attachment file name contains an unpaired surrogate");
  }

  @Test
  void acceptsFileNamesUpTo255Characters() {
    assertThat(Attachment.of("n".repeat(255), PDF, "application/pdf").fileName()).hasSize(255);
    assertThat(problemsOf(() -> Attachment.of("n".repeat(256), PDF, "application/pdf")))
        .containsExactly("attachment file name is longer than 255 characters");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "application/pdf",
      "image/svg+xml",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "text/plain; charset=utf-8",
      "text/plain;charset=UTF-8",
      "text/plain; charset=\"utf-8\"; format=flowed"
  })
  void acceptsMimeTypes(String type) {
    assertThat(Attachment.of("a", PDF, type).contentType()).isEqualTo(type);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "pdf",
      "application/",
      "/pdf",
      "application pdf",
      "text/plain\r\nBcc: eve@example.org",
      "text/plain; charset",
      "text/plain; charset=\"a\r\nb\"",
      "text/plain; charset=\"a\"b\""
  })
  void rejectsBadMimeTypes(String type) {
    assertThat(problemsOf(() -> Attachment.of("a.bin", PDF, type)))
        .containsExactly("attachment content type is not a valid MIME type like application/pdf");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "logo image", "<logo>", "logo\r\n", "lögo"})
  void rejectsBadContentIds(String contentId) {
    assertThat(problemsOf(() -> Attachment.inline(contentId, "logo.png", PDF, "image/png")))
        .containsExactly("inline content id must be 1 to 128 characters without spaces or <>");
  }

  @Test
  void acceptsContentIdsUpTo128Characters() {
    assertThat(Attachment.inline("c".repeat(128), PDF, "image/png").contentId()).isPresent();
    assertThat(problemsOf(() -> Attachment.inline("c".repeat(129), "c.png", PDF, "image/png")))
        .hasSize(1);
  }

  @Test
  void reportsEveryProblemAtOnce() {
    assertThat(problemsOf(() -> Attachment.inline("bad id", "../x", PDF, "nonsense")))
        .containsExactly(
            "attachment file name contains a path separator",
            "attachment content type is not a valid MIME type like application/pdf",
            "inline content id must be 1 to 128 characters without spaces or <>");
  }

  @Test
  void rejectsNullArguments() {
    assertThatNullPointerException().isThrownBy(() -> Attachment.of(null, PDF, "text/plain"));
    assertThatNullPointerException().isThrownBy(() -> Attachment.of("a", null, "text/plain"));
    assertThatNullPointerException().isThrownBy(() -> Attachment.of("a", PDF, null));
    assertThatNullPointerException().isThrownBy(() -> Attachment.inline(null, PDF, "image/png"));
    assertThatNullPointerException().isThrownBy(() -> Attachment.inline("id", null, PDF, "image/png"));
  }

  @Test
  void equalityComparesContentByValue() {
    Attachment a = Attachment.of("a.txt", "hello".getBytes(UTF_8), "text/plain");
    Attachment same = Attachment.of("a.txt", "hello".getBytes(UTF_8), "text/plain");

    assertThat(a).isEqualTo(same).hasSameHashCodeAs(same);
    assertThat(a).isNotEqualTo(Attachment.of("a.txt", "hellO".getBytes(UTF_8), "text/plain"));
    assertThat(a).isNotEqualTo(Attachment.of("b.txt", "hello".getBytes(UTF_8), "text/plain"));
    assertThat(a).isNotEqualTo(Attachment.of("a.txt", "hello".getBytes(UTF_8), "text/html"));
    assertThat(a).isNotEqualTo(Attachment.inline("a.txt", "hello".getBytes(UTF_8), "text/plain"));
  }

  @Test
  void toStringNamesFileTypeAndSizeButNotTheContent() {
    assertThat(Attachment.of("report.pdf", PDF, "application/pdf").toString())
        .contains("report.pdf", "application/pdf", PDF.length + " bytes")
        .doesNotContain("secret");
    assertThat(Attachment.inline("logo", new byte[2], "image/png").toString())
        .contains("inline logo");
  }

  private static List<String> problemsOf(ThrowingCallable call) {
    InvalidEmailException e = catchThrowableOfType(InvalidEmailException.class, call);
    assertThat(e).as("expected an InvalidEmailException").isNotNull();
    return e.problems();
  }
}
