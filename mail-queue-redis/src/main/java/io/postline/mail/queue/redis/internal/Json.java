package io.postline.mail.queue.redis.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The one {@link ObjectMapper} of the module (tree model only: no data binding, no polymorphic
 * typing, nothing that instantiates classes named by the input) and helpers to read fields
 * strictly. Every stored document carries {@code "v": 1}.
 */
public final class Json {
  /** The format version written into every document. */
  public static final int VERSION = 1;

  static final ObjectMapper MAPPER = JsonMapper.builder().build();

  static {
    // Attachments are base64 text inside the document: allow long strings (the payload size
    // limit bounds the document as a whole).
    MAPPER.getFactory().setStreamReadConstraints(
        StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build());
  }

  private Json() {}

  /** A new document with its version field. */
  public static ObjectNode document() {
    return MAPPER.createObjectNode().put("v", VERSION);
  }

  /** A new object without a version (for nested values). */
  public static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** A new array. */
  public static ArrayNode array() {
    return MAPPER.createArrayNode();
  }

  /** The document as UTF-8 bytes. */
  public static byte[] write(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Parses a document and checks its version.
   *
   * @throws CorruptPayloadException if it is not JSON, not an object, or of an unknown version
   */
  public static ObjectNode read(byte[] bytes, String what) {
    JsonNode node;
    try {
      node = MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new CorruptPayloadException(what + " is not valid JSON");
    }
    if (node == null || !node.isObject()) {
      throw new CorruptPayloadException(what + " is not a JSON object");
    }
    JsonNode v = node.get("v");
    if (v == null || !v.isInt()) {
      throw new CorruptPayloadException(what + " has no format version \"v\"");
    }
    if (v.intValue() != VERSION) {
      throw new CorruptPayloadException(what + " has format version " + v.intValue()
          + ", this Postline reads version " + VERSION);
    }
    return (ObjectNode) node;
  }

  static String text(JsonNode node, String field) {
    JsonNode f = node.get(field);
    if (f == null || !f.isTextual()) {
      throw new CorruptPayloadException("field \"" + field + "\" is missing or not text");
    }
    return f.textValue();
  }

  static Optional<String> optionalText(JsonNode node, String field) {
    JsonNode f = node.get(field);
    if (f == null || f.isNull()) {
      return Optional.empty();
    }
    if (!f.isTextual()) {
      throw new CorruptPayloadException("field \"" + field + "\" is not text");
    }
    return Optional.of(f.textValue());
  }

  static int integer(JsonNode node, String field) {
    JsonNode f = node.get(field);
    if (f == null || !f.canConvertToInt()) {
      throw new CorruptPayloadException("field \"" + field + "\" is missing or not an integer");
    }
    return f.intValue();
  }

  static Instant instant(JsonNode node, String field) {
    return parseInstant(text(node, field), field);
  }

  static Optional<Instant> optionalInstant(JsonNode node, String field) {
    return optionalText(node, field).map(s -> parseInstant(s, field));
  }

  static Duration duration(JsonNode node, String field) {
    String s = text(node, field);
    try {
      return Duration.parse(s);
    } catch (RuntimeException e) {
      throw new CorruptPayloadException("field \"" + field + "\" is not an ISO-8601 duration");
    }
  }

  static <E extends Enum<E>> E enumValue(JsonNode node, String field, Class<E> type) {
    String s = text(node, field);
    try {
      return Enum.valueOf(type, s);
    } catch (IllegalArgumentException e) {
      throw new CorruptPayloadException("field \"" + field + "\" is not a " + type.getSimpleName());
    }
  }

  static @Nullable JsonNode field(JsonNode node, String field) {
    JsonNode f = node.get(field);
    return f == null || f.isNull() ? null : f;
  }

  private static Instant parseInstant(String s, String field) {
    try {
      return Instant.parse(s);
    } catch (RuntimeException e) {
      throw new CorruptPayloadException("field \"" + field + "\" is not an ISO-8601 instant");
    }
  }
}
