package io.postline.mail.feedback.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.postline.mail.Address;
import io.postline.mail.MailException;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** Lenient reading of verified provider JSON: a field of the wrong type reads as absent. */
public final class Json {
  /** Webhook bodies are shallow; a tight nesting bound keeps hostile input cheap. */
  private static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
          .streamReadConstraints(StreamReadConstraints.builder()
              .maxNestingDepth(64).maxStringLength(1_000_000).maxNumberLength(100).build())
          .build())
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private Json() {}

  /** Parses {@code bytes}; empty when they are not one JSON value. */
  public static Optional<JsonNode> parse(byte[] bytes) {
    try {
      return Optional.ofNullable(MAPPER.readTree(bytes)).filter(n -> !n.isMissingNode());
    } catch (IOException | RuntimeException e) {
      // Jackson reports bad input as IOException, and a few limits as unchecked ones.
      return Optional.empty();
    }
  }

  /** Parses {@code text}; empty when it is not one JSON value. */
  public static Optional<JsonNode> parse(String text) {
    try {
      return Optional.ofNullable(MAPPER.readTree(text)).filter(n -> !n.isMissingNode());
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The text of field {@code name} when it is a string. */
  public static Optional<String> text(@Nullable JsonNode node, String name) {
    if (node == null || !node.isObject()) {
      return Optional.empty();
    }
    JsonNode v = node.get(name);
    return v != null && v.isTextual() ? Optional.of(v.asText()) : Optional.empty();
  }

  /** The text of field {@code name} when it is a string or a number. */
  public static Optional<String> scalar(@Nullable JsonNode node, String name) {
    if (node == null || !node.isObject()) {
      return Optional.empty();
    }
    JsonNode v = node.get(name);
    return v != null && (v.isTextual() || v.isNumber()) ? Optional.of(v.asText()) : Optional.empty();
  }

  /** Field {@code name} when it is an object or array. */
  public static Optional<JsonNode> child(@Nullable JsonNode node, String name) {
    if (node == null || !node.isObject()) {
      return Optional.empty();
    }
    JsonNode v = node.get(name);
    return v != null && v.isContainerNode() ? Optional.of(v) : Optional.empty();
  }

  /** Unix seconds (integral or fractional) in field {@code name}, as an instant. */
  public static Optional<Instant> epochSeconds(@Nullable JsonNode node, String name) {
    if (node == null || !node.isObject()) {
      return Optional.empty();
    }
    JsonNode v = node.get(name);
    if (v == null || !v.isNumber()) {
      return Optional.empty();
    }
    // Decimal, not double: 1772366400.123 must stay .123 seconds, not .122999906.
    if (v.isFloatingPointNumber() && !Double.isFinite(v.doubleValue())) {
      return Optional.empty(); // 1e999999999 reads as Infinity, which has no decimal value
    }
    java.math.BigDecimal seconds = v.decimalValue();
    if (seconds.scale() > 18 || seconds.scale() < -18 || seconds.signum() < 0 || seconds.compareTo(java.math.BigDecimal.valueOf(32_503_680_000L)) > 0) {
      return Optional.empty();
    }
    long whole = seconds.longValue();
    long nanos = seconds.subtract(java.math.BigDecimal.valueOf(whole)).movePointRight(9).longValue();
    return Optional.of(Instant.ofEpochSecond(whole, nanos));
  }

  /** An ISO-8601 instant in field {@code name}. */
  public static Optional<Instant> isoInstant(@Nullable JsonNode node, String name) {
    return text(node, name).flatMap(Json::instant);
  }

  /** {@code text} as an ISO-8601 instant. */
  public static Optional<Instant> instant(String text) {
    try {
      return Optional.of(Instant.parse(text));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  /** {@code text} as an address; empty when it does not parse. */
  public static Optional<Address> address(@Nullable String text) {
    if (text == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Address.of(text.trim()));
    } catch (MailException e) {
      return Optional.empty();
    }
  }

  /** Strips a surrounding {@code <...>} (SES and Mailgun quote message ids differently). */
  public static String unbracket(String id) {
    return id.length() > 1 && id.startsWith("<") && id.endsWith(">") ? id.substring(1, id.length() - 1) : id;
  }
}
