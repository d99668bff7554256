package io.postline.mail.tck;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * An attachment or inline part as the provider's peer received it.
 *
 * @param fileName the file name the peer was given
 * @param contentType the MIME type, parameters allowed ({@link #baseType()} drops them)
 * @param content the decoded bytes
 * @param contentId the content id of an inline part, without angle brackets; empty for a regular
 *     attachment
 */
public record DeliveredAttachment(String fileName, String contentType, byte[] content, Optional<String> contentId) {

  /** Checks and copies the components. */
  public DeliveredAttachment {
    Objects.requireNonNull(fileName, "fileName");
    Objects.requireNonNull(contentType, "contentType");
    content = content.clone();
    Objects.requireNonNull(contentId, "contentId");
  }

  /** A regular attachment. */
  public static DeliveredAttachment attachment(String fileName, String contentType, byte[] content) {
    return new DeliveredAttachment(fileName, contentType, content, Optional.empty());
  }

  /** An inline part; angle brackets around {@code contentId} are removed. */
  public static DeliveredAttachment inline(String contentId, String fileName, String contentType, byte[] content) {
    String id = contentId.startsWith("<") && contentId.endsWith(">")
        ? contentId.substring(1, contentId.length() - 1) : contentId;
    return new DeliveredAttachment(fileName, contentType, content, Optional.of(id));
  }

  /** A copy of the content. */
  @Override
  public byte[] content() {
    return content.clone();
  }

  /** The MIME type without parameters, in lower case: {@code image/png}. */
  public String baseType() {
    int semicolon = contentType.indexOf(';');
    String base = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
    return base.strip().toLowerCase(Locale.ROOT);
  }

  /** Whether this is an inline part. */
  public boolean isInline() {
    return contentId.isPresent();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DeliveredAttachment other
        && fileName.equals(other.fileName)
        && contentType.equals(other.contentType)
        && Arrays.equals(content, other.content)
        && contentId.equals(other.contentId);
  }

  @Override
  public int hashCode() {
    return Objects.hash(fileName, contentType, Arrays.hashCode(content), contentId);
  }

  /** Names the file, type and size; never the content. */
  @Override
  public String toString() {
    return "DeliveredAttachment[" + fileName + ", " + contentType + ", " + content.length + " bytes"
        + contentId.map(id -> ", inline " + id).orElse("") + "]";
  }
}
