package io.postline.mail.queue.codec.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.Priority;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * FROZEN: the previous release's tree-model codec, exactly as it shipped (only renamed), kept as
 * the reference that compatibility tests read new payloads with and write old payloads with.
 * Do not change it.
 *
 * <p>{@link Email} as JSON. Every part is kept: addresses with display names, subject, text, HTML,
 * attachments (content as base64) with their type and inline content id, headers, tags, metadata,
 * priority, sendAt, idempotency key, template with its model, locale and caller.
 *
 * <pre>{@code
 * {"from":{"email":"shop@example.org","name":"Shop"},"to":[{"email":"ann@example.org"}],
 *  "subject":"Hi","text":"...","attachments":[{"fileName":"a.pdf","contentType":"application/pdf",
 *  "data":"JVBERi0..."}],"headers":{"X-Campaign":"spring"},"tags":["welcome"],
 *  "metadata":{"userId":"42"},"priority":"HIGH","sendAt":"2030-01-01T00:00:00Z", ...}
 * }</pre>
 *
 * <p>Template model values must be JSON values: strings, numbers, booleans, lists (or arrays)
 * and maps with string keys, nested freely. Numbers come back as Integer, Long, BigInteger or
 * Double/BigDecimal, whichever holds them.
 */
final class PreviousEmailJson {
  /**
   * A stored email whose sendAt is older than this is restored without it: the queue keeps its
   * own due time, and {@link Email.Builder#build()} refuses a sendAt more than
   * {@link Email#MAX_SCHEDULE_BEHIND} in the past.
   */
  static final java.time.Duration SEND_AT_KEPT = Email.MAX_SCHEDULE_BEHIND.minusHours(1);

  private PreviousEmailJson() {}

  /**
   * Encodes an email.
   *
   * @throws InvalidEmailException if its template model holds a value that is not a JSON value
   */
  public static ObjectNode encode(Email email) {
    ObjectNode n = Json.object();
    n.set("from", address(email.from()));
    addresses(n, "to", email.to());
    addresses(n, "cc", email.cc());
    addresses(n, "bcc", email.bcc());
    addresses(n, "replyTo", email.replyTo());
    email.subject().ifPresent(s -> n.put("subject", s));
    email.text().ifPresent(s -> n.put("text", s));
    email.html().ifPresent(s -> n.put("html", s));
    if (!email.attachments().isEmpty()) {
      ArrayNode list = n.putArray("attachments");
      for (Attachment a : email.attachments()) {
        ObjectNode o = list.addObject().put("fileName", a.fileName()).put("contentType", a.contentType());
        a.contentId().ifPresent(id -> o.put("contentId", id));
        o.put("data", a.content());
      }
    }
    if (!email.headers().isEmpty()) {
      ObjectNode h = n.putObject("headers");
      email.headers().forEach(h::put);
    }
    if (!email.tags().isEmpty()) {
      ArrayNode t = n.putArray("tags");
      email.tags().forEach(t::add);
    }
    if (!email.metadata().isEmpty()) {
      ObjectNode m = n.putObject("metadata");
      email.metadata().forEach(m::put);
    }
    n.put("priority", email.priority().name());
    email.sendAt().ifPresent(at -> n.put("sendAt", at.toString()));
    email.idempotencyKey().ifPresent(k -> n.put("idempotencyKey", k));
    email.template().ifPresent(t -> {
      ObjectNode o = n.putObject("template").put("name", t.name());
      o.set("model", modelValue(t.model(), "model"));
    });
    email.locale().ifPresent(l -> n.put("locale", l.toLanguageTag()));
    email.caller().ifPresent(c -> n.put("caller", c));
    return n;
  }

  /**
   * Decodes an email written by {@link #encode}.
   *
   * @param now the time to compare a stored sendAt with (see {@link #SEND_AT_KEPT})
   * @throws CorruptPayloadException if a field is missing or of the wrong kind, or the stored
   *     email is no longer valid
   */
  public static Email decode(JsonNode n, Instant now) {
    Email.Builder b = Email.builder();
    b.from(readAddress(required(n, "from"), "from"));
    b.to(readAddresses(n, "to"));
    b.cc(readAddresses(n, "cc"));
    b.bcc(readAddresses(n, "bcc"));
    b.replyTo(readAddresses(n, "replyTo").toArray(new Address[0]));
    Json.optionalText(n, "subject").ifPresent(b::subject);
    Json.optionalText(n, "text").ifPresent(b::text);
    Json.optionalText(n, "html").ifPresent(b::html);
    JsonNode attachments = Json.field(n, "attachments");
    if (attachments != null) {
      for (JsonNode a : array(attachments, "attachments")) {
        byte[] data;
        try {
          data = required(a, "data").binaryValue();
        } catch (IOException e) {
          throw new CorruptPayloadException("attachment data is not base64");
        }
        if (data == null) {
          throw new CorruptPayloadException("attachment data is not base64");
        }
        String fileName = Json.text(a, "fileName");
        String type = Json.text(a, "contentType");
        var contentId = Json.optionalText(a, "contentId");
        try {
          b.attach(contentId.isPresent()
              ? Attachment.inline(contentId.get(), fileName, data, type)
              : Attachment.of(fileName, data, type));
        } catch (InvalidEmailException e) {
          throw new CorruptPayloadException("stored attachment is no longer valid: " + e.getMessage());
        }
      }
    }
    stringMap(n, "headers").forEach(b::header);
    JsonNode tags = Json.field(n, "tags");
    if (tags != null) {
      for (JsonNode t : array(tags, "tags")) {
        b.tag(t.asText());
      }
    }
    stringMap(n, "metadata").forEach(b::metadata);
    b.priority(Json.enumValue(n, "priority", Priority.class));
    Json.optionalInstant(n, "sendAt")
        .filter(at -> at.isAfter(now.minus(SEND_AT_KEPT)))
        .ifPresent(b::sendAt);
    Json.optionalText(n, "idempotencyKey").ifPresent(b::idempotencyKey);
    JsonNode template = Json.field(n, "template");
    if (template != null) {
      Object model = fromJson(required(template, "model"));
      if (!(model instanceof Map<?, ?> map)) {
        throw new CorruptPayloadException("template model is not an object");
      }
      @SuppressWarnings("unchecked")
      Map<String, ?> typed = (Map<String, ?>) map;
      b.template(Json.text(template, "name"), typed);
    }
    Json.optionalText(n, "locale").ifPresent(l -> b.locale(Locale.forLanguageTag(l)));
    Json.optionalText(n, "caller").ifPresent(b::caller);
    try {
      return b.build();
    } catch (InvalidEmailException e) {
      throw new CorruptPayloadException("stored email is no longer valid: " + e.getMessage());
    }
  }

  // address(Address) and readAddress(JsonNode, String) shipped as they still are in EmailJson.
  private static ObjectNode address(Address a) {
    return EmailJson.address(a);
  }

  private static Address readAddress(JsonNode node, String field) {
    return EmailJson.readAddress(node, field);
  }

  private static void addresses(ObjectNode n, String field, List<Address> list) {
    if (!list.isEmpty()) {
      ArrayNode a = n.putArray(field);
      list.forEach(x -> a.add(address(x)));
    }
  }

  private static List<Address> readAddresses(JsonNode n, String field) {
    JsonNode list = Json.field(n, field);
    if (list == null) {
      return List.of();
    }
    List<Address> out = new ArrayList<>();
    for (JsonNode a : array(list, field)) {
      out.add(readAddress(a, field));
    }
    return out;
  }

  private static Map<String, String> stringMap(JsonNode n, String field) {
    JsonNode map = Json.field(n, field);
    Map<String, String> out = new LinkedHashMap<>();
    if (map == null) {
      return out;
    }
    if (!map.isObject()) {
      throw new CorruptPayloadException("field \"" + field + "\" is not an object");
    }
    for (Map.Entry<String, JsonNode> e : map.properties()) {
      if (!e.getValue().isTextual()) {
        throw new CorruptPayloadException("field \"" + field + "\" has a value that is not text");
      }
      out.put(e.getKey(), e.getValue().textValue());
    }
    return out;
  }

  private static JsonNode required(JsonNode n, String field) {
    JsonNode f = Json.field(n, field);
    if (f == null) {
      throw new CorruptPayloadException("field \"" + field + "\" is missing");
    }
    return f;
  }

  private static Iterable<JsonNode> array(JsonNode node, String field) {
    if (!node.isArray()) {
      throw new CorruptPayloadException("field \"" + field + "\" is not an array");
    }
    return node;
  }

  private static JsonNode modelValue(Object value, String path) {
    if (value instanceof String s) {
      return Json.MAPPER.getNodeFactory().textNode(s);
    }
    if (value instanceof Boolean b) {
      return Json.MAPPER.getNodeFactory().booleanNode(b);
    }
    if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
      return Json.MAPPER.getNodeFactory().numberNode(((Number) value).intValue());
    }
    if (value instanceof Long l) {
      return Json.MAPPER.getNodeFactory().numberNode(l);
    }
    if (value instanceof BigInteger i) {
      return Json.MAPPER.getNodeFactory().numberNode(i);
    }
    if (value instanceof BigDecimal d) {
      return Json.MAPPER.getNodeFactory().numberNode(d);
    }
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw notJson(path, "a NaN or infinite number");
      }
      return Json.MAPPER.getNodeFactory().numberNode(d);
    }
    if (value instanceof Map<?, ?> map) {
      ObjectNode o = Json.object();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (!(e.getKey() instanceof String key) || e.getValue() == null) {
          throw notJson(path, "a map with a key that is not a string, or a null value");
        }
        o.set(key, modelValue(e.getValue(), path + "." + key));
      }
      return o;
    }
    if (value instanceof Collection<?> c) {
      ArrayNode a = Json.array();
      int i = 0;
      for (Object item : c) {
        if (item == null) {
          throw notJson(path + "[" + i + "]", "null");
        }
        a.add(modelValue(item, path + "[" + i++ + "]"));
      }
      return a;
    }
    if (value instanceof Object[] array) {
      return modelValue(List.of(array), path);
    }
    throw notJson(path, "a " + value.getClass().getName());
  }

  private static InvalidEmailException notJson(String path, String what) {
    return new InvalidEmailException("template " + path + " is " + what
        + ", which the Redis queue cannot store: use strings, numbers, booleans, lists and maps,"
        + " or render the template before queueing");
  }

  private static Object fromJson(JsonNode node) {
    if (node.isTextual()) {
      return node.textValue();
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    if (node.isInt()) {
      return node.intValue();
    }
    if (node.isLong()) {
      return node.longValue();
    }
    if (node.isBigInteger()) {
      return node.bigIntegerValue();
    }
    if (node.isBigDecimal()) {
      return node.decimalValue();
    }
    if (node.isNumber()) {
      return node.doubleValue();
    }
    if (node.isObject()) {
      Map<String, Object> map = new LinkedHashMap<>();
      node.properties().forEach(e -> map.put(e.getKey(), fromJson(e.getValue())));
      return map;
    }
    if (node.isArray()) {
      List<Object> list = new ArrayList<>();
      node.forEach(item -> list.add(fromJson(item)));
      return List.copyOf(list);
    }
    throw new CorruptPayloadException("template model holds a null");
  }
}
