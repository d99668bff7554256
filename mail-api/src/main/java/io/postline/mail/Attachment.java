package io.postline.mail;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A file attached to an email, either as a regular attachment or inline (an image the HTML part
 * references as {@code cid:<contentId>}). Immutable: the content is copied in and out.
 */
public final class Attachment {
  /**
   * Not a MIME limit (RFC 2231 continuations carry a name of any length) but the longest name the
   * common file systems store (NTFS, APFS, ext4): a longer one could not be saved as it was sent.
   */
  private static final int MAX_FILE_NAME = 255;
  private static final String TOKEN = "[A-Za-z0-9!#$&^_.+-]+";
  private static final Pattern CONTENT_TYPE = Pattern.compile(
      TOKEN + "/" + TOKEN + "(\\s*;\\s*" + TOKEN + "=(" + TOKEN + "|\"[^\"\\\\\\p{Cntrl}]*\"))*");
  private static final Pattern CONTENT_ID = Pattern.compile("[A-Za-z0-9!#$%&'*+/=?^_`{|}~.@-]{1,128}");

  private final String fileName;
  private final byte[] content;
  private final String contentType;
  private final @Nullable String contentId;

  private Attachment(String fileName, byte[] content, String contentType, @Nullable String contentId) {
    List<String> problems = new ArrayList<>();
    String nameProblem = fileNameProblem(fileName);
    if (nameProblem != null) {
      problems.add(nameProblem);
    }
    if (!CONTENT_TYPE.matcher(contentType).matches()) {
      problems.add("attachment content type is not a valid MIME type like application/pdf");
    } else {
      String composite = compositeProblem(contentType, content);
      if (composite != null) {
        problems.add(composite);
      }
    }
    if (contentId != null && !CONTENT_ID.matcher(contentId).matches()) {
      problems.add("inline content id must be 1 to 128 characters without spaces or <>");
    }
    if (!problems.isEmpty()) {
      throw new InvalidEmailException(problems);
    }
    this.fileName = fileName;
    this.content = content.clone();
    this.contentType = contentType;
    this.contentId = contentId;
  }

  /**
   * A regular attachment.
   *
   * @param fileName the name the recipient sees: at most 255 characters, the longest name common
   *     file systems store; no path separators, control characters or bidirectional overrides
   *     (U+202A to U+202E, U+2066 to U+2069)
   * @param content the bytes, copied
   * @param contentType a MIME type such as {@code application/pdf}
   * @throws InvalidEmailException listing what is wrong with the arguments
   */
  public static Attachment of(String fileName, byte[] content, String contentType) {
    Objects.requireNonNull(fileName, "fileName");
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(contentType, "contentType");
    return new Attachment(fileName, content, contentType, null);
  }

  /**
   * An inline part the HTML body references as {@code cid:contentId}; its file name is the
   * content id.
   *
   * @throws InvalidEmailException listing what is wrong with the arguments
   */
  public static Attachment inline(String contentId, byte[] content, String contentType) {
    return inline(contentId, contentId, content, contentType);
  }

  /**
   * An inline part with its own file name.
   *
   * @throws InvalidEmailException listing what is wrong with the arguments
   */
  public static Attachment inline(String contentId, String fileName, byte[] content, String contentType) {
    Objects.requireNonNull(contentId, "contentId");
    Objects.requireNonNull(fileName, "fileName");
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(contentType, "contentType");
    return new Attachment(fileName, content, contentType, contentId);
  }

  /** The file name the recipient sees. */
  public String fileName() {
    return fileName;
  }

  /** A copy of the content. */
  public byte[] content() {
    return content.clone();
  }

  /** The content as a stream, without copying it. */
  public InputStream openStream() {
    return new ByteArrayInputStream(content);
  }

  /** The size of the content in bytes. */
  public int size() {
    return content.length;
  }

  /** The MIME type, such as {@code image/png}. */
  public String contentType() {
    return contentType;
  }

  /** The content id of an inline part; empty for a regular attachment. */
  public Optional<String> contentId() {
    return Optional.ofNullable(contentId);
  }

  /** Whether this is an inline part. */
  public boolean isInline() {
    return contentId != null;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Attachment other
        && fileName.equals(other.fileName)
        && contentType.equals(other.contentType)
        && Objects.equals(contentId, other.contentId)
        && Arrays.equals(content, other.content);
  }

  @Override
  public int hashCode() {
    return Objects.hash(fileName, contentType, contentId, Arrays.hashCode(content));
  }

  /** Names the file, type and size; never the content. */
  @Override
  public String toString() {
    return "Attachment[" + fileName + ", " + contentType + ", " + content.length + " bytes"
        + (contentId == null ? "" : ", inline " + contentId) + "]";
  }

  /**
   * MIME forbids base64 for message/* and multipart/* parts (RFC 2046), so they must be sendable
   * as they are: CRLF lines of at most 998 bytes without NUL, and a multipart needs its boundary.
   */
  private static @Nullable String compositeProblem(String contentType, byte[] content) {
    String type = contentType.toLowerCase(java.util.Locale.ROOT);
    boolean multipart = type.startsWith("multipart/");
    if (!multipart && !type.startsWith("message/")) {
      return null;
    }
    String kind = multipart ? "multipart/*" : "message/*";
    String instead = "; or send it as application/octet-stream";
    if (multipart && !type.matches(".*;\\s*boundary=.+")) {
      return "multipart/* attachment needs a boundary parameter in its content type" + instead;
    }
    int lineLength = 0;
    for (int i = 0; i < content.length; i++) {
      byte b = content[i];
      if (b == 0) {
        return kind + " attachment contains a NUL byte" + instead;
      }
      if (b == '\n') {
        if (i == 0 || content[i - 1] != '\r') {
          return kind + " attachment must use CRLF line ends" + instead;
        }
        lineLength = 0;
      } else if (b == '\r') {
        if (i + 1 == content.length || content[i + 1] != '\n') {
          return kind + " attachment has a bare CR" + instead;
        }
      } else if (++lineLength > 998) {
        return kind + " attachment has a line longer than 998 bytes" + instead;
      }
    }
    return null;
  }

  private static @Nullable String fileNameProblem(String name) {
    if (name.isBlank()) {
      return "attachment file name is blank";
    }
    if (name.indexOf('/') >= 0 || name.indexOf('\\') >= 0) {
      return "attachment file name contains a path separator";
    }
    if (Texts.hasControl(name) || Texts.hasLineBreak(name) || name.indexOf('\t') >= 0) {
      return "attachment file name contains a control character";
    }
    if (Texts.hasBrokenSurrogate(name)) {
      return "attachment file name contains an unpaired surrogate";
    }
    if (Texts.hasBidiOverride(name)) {
      // "invoice\u202Efdp.exe" shows as "invoiceexe.pdf": a classic way to disguise a file type.
      return "attachment file name contains a bidirectional override character";
    }
    if (name.equals(".") || name.equals("..")) {
      return "attachment file name is '.' or '..'";
    }
    if (name.length() > MAX_FILE_NAME) {
      return "attachment file name is longer than " + MAX_FILE_NAME + " characters";
    }
    return null;
  }
}
