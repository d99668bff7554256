package io.postline.mail.queue.codec.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.Priority;
import io.postline.mail.internal.TrustedEmails;
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
import org.jspecify.annotations.Nullable;

/**
 * {@link Email} as JSON, written and read with Jackson's streaming generator and parser (no tree).
 * Every part is kept: addresses with display names, subject, text, HTML, attachments (content as
 * base64) with their type and inline content id, headers, tags, metadata, priority, sendAt,
 * idempotency key, template with its model, locale and caller.
 *
 * <pre>{@code
 * {"from":{"email":"shop@example.org","name":"Shop"},"to":[{"email":"ann@example.org"}],
 *  "subject":"Hi","text":"...","attachments":[{"fileName":"a.pdf","contentType":"application/pdf",
 *  "data":"JVBERi0..."}],"headers":{"X-Campaign":"spring"},"tags":["welcome"],
 *  "metadata":{"userId":"42"},"priority":"HIGH","sendAt":"2030-01-01T00:00:00Z", ...}
 * }</pre>
 *
 * <p>The bytes written are those the tree-model writer of the previous release wrote (same
 * fields, same order), so a previous release reads them, and this reader reads what it wrote
 * (fields in any order, empty lists, JSON nulls for absent values, unknown fields skipped).
 *
 * <p>Template model values must be JSON values: strings, numbers, booleans, lists (or arrays)
 * and maps with string keys, nested freely. Numbers come back as Integer, Long, BigInteger or
 * Double, whichever holds them.
 */
public final class EmailJson {
  /**
   * A stored email whose sendAt is older than this is restored without it: the queue keeps its
   * own due time, and {@link Email.Builder#build()} refuses a sendAt more than
   * {@link Email#MAX_SCHEDULE_BEHIND} in the past.
   */
  static final java.time.Duration SEND_AT_KEPT = Email.MAX_SCHEDULE_BEHIND.minusHours(1);

  /** Builders that skip the email's checks, for payloads that came back authenticated. */
  private static final TrustedEmails.Access TRUSTED = TrustedEmails.access();

  private EmailJson() {}

  /**
   * Writes an email as a JSON object.
   *
   * @param shared the body fields of the previous email of a batch, or null to write them
   * @throws InvalidEmailException if its template model holds a value that is not a JSON value
   */
  static void write(JsonGenerator g, Email email, @Nullable SharedBody shared) throws IOException {
    g.writeStartObject();
    writeAddressing(g, email);
    if (shared == null) {
      writeBody(g, email);
    } else {
      // The body's fields as the generator would write them (after at least "from", so the
      // comma is due), copied in; the generator then carries on with the next field.
      g.flush();
      shared.writeTo(email);
    }
    writeRest(g, email);
  }

  /**
   * Writes what is an email's own when its body is stored apart (payload version 2): every field
   * but those {@link #writeSharedBody} writes.
   */
  static void writeOwn(JsonGenerator g, Email email) throws IOException {
    g.writeStartObject();
    writeAddressing(g, email);
    writeRest(g, email);
  }

  /**
   * Writes the fields from subject to sendAt (what {@link #sameBody} compares) as an object: the
   * shared part of a group's copies, stored once.
   */
  static void writeSharedBody(JsonGenerator g, Email email) throws IOException {
    g.writeStartObject();
    writeBody(g, email);
    g.writeEndObject();
  }

  private static void writeAddressing(JsonGenerator g, Email email) throws IOException {
    g.writeFieldName("from");
    writeAddress(g, email.from());
    addresses(g, "to", email.to());
    addresses(g, "cc", email.cc());
    addresses(g, "bcc", email.bcc());
    addresses(g, "replyTo", email.replyTo());
  }

  private static void writeRest(JsonGenerator g, Email email) throws IOException {
    optional(g, "idempotencyKey", email.idempotencyKey().orElse(null));
    if (email.template().isPresent()) {
      Email.Template t = email.template().get();
      g.writeObjectFieldStart("template");
      g.writeStringField("name", t.name());
      g.writeFieldName("model");
      modelValue(g, t.model(), "model");
      g.writeEndObject();
    }
    if (email.locale().isPresent()) {
      g.writeStringField("locale", email.locale().get().toLanguageTag());
    }
    optional(g, "caller", email.caller().orElse(null));
    g.writeEndObject();
  }

  /**
   * The fields from subject to sendAt (content, attachments, headers, tags, metadata, priority,
   * schedule), which the copies of a group email share: encoded once while consecutive emails
   * have equal ones, and copied into each document. Not thread-safe: one per batch.
   */
  static final class SharedBody {
    private final ByteArrayBuilder out;
    private @Nullable Email last;
    private byte @Nullable [] fields;

    SharedBody(ByteArrayBuilder out) {
      this.out = out;
    }

    void writeTo(Email email) throws IOException {
      if (last == null || fields == null || !sameBody(last, email)) {
        ByteArrayBuilder buffer = new ByteArrayBuilder(4096);
        try (JsonGenerator g = Json.FACTORY.createGenerator(buffer)) {
          g.writeStartObject();
          writeBody(g, email);
          g.writeEndObject();
        }
        byte[] object = buffer.toByteArray();
        // {"subject":...,"priority":"NORMAL"} becomes ,"subject":...,"priority":"NORMAL"
        byte[] f = new byte[object.length - 1];
        f[0] = ',';
        System.arraycopy(object, 1, f, 1, object.length - 2);
        fields = f;
        last = email;
      }
      out.write(fields);
    }

    static boolean sameBody(Email a, Email b) {
      return a == b || a.priority() == b.priority() && a.subject().equals(b.subject()) && a.text().equals(b.text())
          && a.html().equals(b.html()) && a.sendAt().equals(b.sendAt()) && a.attachments().equals(b.attachments())
          && a.headers().equals(b.headers()) && a.tags().equals(b.tags()) && a.metadata().equals(b.metadata());
    }
  }

  /** The fields from subject to sendAt; at least "priority" is written. */
  private static void writeBody(JsonGenerator g, Email email) throws IOException {
    optional(g, "subject", email.subject().orElse(null));
    if (email.text().isPresent()) {
      g.writeFieldName("text");
      Json.writeText(g, email.text().get());
    }
    if (email.html().isPresent()) {
      g.writeFieldName("html");
      Json.writeText(g, email.html().get());
    }
    if (!email.attachments().isEmpty()) {
      g.writeArrayFieldStart("attachments");
      for (Attachment a : email.attachments()) {
        g.writeStartObject();
        g.writeStringField("fileName", a.fileName());
        g.writeStringField("contentType", a.contentType());
        optional(g, "contentId", a.contentId().orElse(null));
        g.writeFieldName("data");
        g.writeBinary(a.content());
        g.writeEndObject();
      }
      g.writeEndArray();
    }
    stringMap(g, "headers", email.headers());
    if (!email.tags().isEmpty()) {
      g.writeArrayFieldStart("tags");
      for (String t : email.tags()) {
        g.writeString(t);
      }
      g.writeEndArray();
    }
    stringMap(g, "metadata", email.metadata());
    g.writeStringField("priority", email.priority().name());
    if (email.sendAt().isPresent()) {
      g.writeStringField("sendAt", Json.formatUtc(email.sendAt().get()));
    }
  }

  /**
   * Reads the email whose start the parser is on (the token after the field name).
   *
   * @param now the time to compare a stored sendAt with (see {@link #SEND_AT_KEPT})
   * @param trusted whether Postline wrote this email and it came back authenticated: if so, the
   *     email's own checks are skipped (its addresses and attachments are still checked)
   * @throws CorruptPayloadException if a field is missing or of the wrong kind, or the stored
   *     email is no longer valid
   */
  static Email read(JsonParser p, Instant now, boolean trusted) throws IOException {
    Reading r = new Reading(trusted);
    r.read(p, now, Part.WHOLE);
    return r.build();
  }

  /** Which part of an email a document holds. */
  enum Part {
    /** Every field (payload version 1). */
    WHOLE,
    /** A group copy's own fields, its body stored apart (payload version 2): no body field. */
    OWN,
    /** A group's shared body: only the fields from subject to sendAt. */
    SHARED_BODY
  }

  /**
   * An email being read from one document, or from two: a message's own part and its group's
   * shared body (payload version 2), into one builder, checked once when built.
   */
  static final class Reading {
    private final Email.Builder b;
    private boolean from;
    private boolean priority;

    /**
     * @param trusted whether Postline wrote every part read into it and each came back
     *     authenticated (see {@link EmailJson#read})
     */
    Reading(boolean trusted) {
      this.b = trusted ? TRUSTED.builder() : Email.builder();
    }

    /**
     * Reads the object the parser is on into the builder.
     *
     * @param part which fields may be in it: a known field of the other part makes it corrupt
     */
    void read(JsonParser p, Instant now, Part part) throws IOException {
      if (p.currentToken() != JsonToken.START_OBJECT) {
        throw new CorruptPayloadException("field \"email\" is not an object");
      }
      int seen = readFields(p, b, now, part);
      from |= (seen & FROM) != 0;
      priority |= (seen & PRIORITY) != 0;
    }

    /** Builds the email once every part was read. */
    Email build() {
      if (!from) {
        throw new CorruptPayloadException("field \"from\" is missing");
      }
      if (!priority) {
        throw new CorruptPayloadException("field \"priority\" is missing or not text");
      }
      try {
        return b.build();
      } catch (InvalidEmailException e) {
        throw new CorruptPayloadException("stored email is no longer valid: " + e.getMessage());
      }
    }
  }

  private static final int FROM = 1;
  private static final int PRIORITY = 2;
  /** The fields of a group's shared body ({@link #writeBody}). */
  private static final java.util.Set<String> BODY_FIELDS = java.util.Set.of("subject", "text", "html", "attachments",
      "headers", "tags", "metadata", "priority", "sendAt");
  /** The fields that are each copy's own ({@link #writeOwn}). */
  private static final java.util.Set<String> OWN_FIELDS = java.util.Set.of("from", "to", "cc", "bcc", "replyTo",
      "idempotencyKey", "template", "locale", "caller");

  /**
   * Reads the fields of an email object into {@code b}; returns which of "from" ({@link #FROM})
   * and "priority" ({@link #PRIORITY}) were among them.
   */
  private static int readFields(JsonParser p, Email.Builder b, Instant now, Part part) throws IOException {
    int seen = 0;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      if (value == JsonToken.VALUE_NULL) {
        continue;
      }
      if (part == Part.SHARED_BODY && OWN_FIELDS.contains(field)) {
        throw new CorruptPayloadException("a group's shared body holds field \"" + field + "\"");
      }
      if (part == Part.OWN && BODY_FIELDS.contains(field)) {
        throw new CorruptPayloadException("a message whose body is shared holds field \"" + field + "\"");
      }
      switch (field) {
        case "from" -> {
          b.from(readAddress(p, "from"));
          seen |= FROM;
        }
        case "to" -> b.to(readAddresses(p, "to"));
        case "cc" -> b.cc(readAddresses(p, "cc"));
        case "bcc" -> b.bcc(readAddresses(p, "bcc"));
        case "replyTo" -> b.replyTo(readAddresses(p, "replyTo").toArray(new Address[0]));
        case "subject" -> b.subject(text(p, field));
        case "text" -> b.text(text(p, field));
        case "html" -> b.html(text(p, field));
        case "attachments" -> {
          startArray(p, field);
          while (p.nextToken() != JsonToken.END_ARRAY) {
            b.attach(readAttachment(p));
          }
        }
        case "headers" -> readStringMap(p, field, b::header);
        case "tags" -> {
          startArray(p, field);
          while (p.nextToken() != JsonToken.END_ARRAY) {
            b.tag(text(p, field));
          }
        }
        case "metadata" -> readStringMap(p, field, b::metadata);
        case "priority" -> {
          b.priority(Json.enumValue(text(p, field), field, Priority.class));
          seen |= PRIORITY;
        }
        case "sendAt" -> {
          Instant at = Json.parseInstant(text(p, field), field);
          if (at.isAfter(now.minus(SEND_AT_KEPT))) {
            b.sendAt(at);
          }
        }
        case "idempotencyKey" -> b.idempotencyKey(text(p, field));
        case "template" -> readTemplate(p, b);
        case "locale" -> b.locale(Locale.forLanguageTag(text(p, field)));
        case "caller" -> b.caller(text(p, field));
        default -> p.skipChildren();
      }
    }
    return seen;
  }

  /** An address as a JSON tree (for the documents that are not on the hot path). */
  public static ObjectNode address(Address a) {
    ObjectNode o = Json.object().put("email", a.email());
    a.name().ifPresent(name -> o.put("name", name));
    return o;
  }

  /** The address in a JSON tree, required. */
  public static Address readAddress(JsonNode node, String field) {
    return address(Json.text(node, "email"), Json.optionalText(node, "name").orElse(""), field);
  }

  private static Address address(String email, String name, String field) {
    try {
      return Address.of(email, name);
    } catch (InvalidEmailException e) {
      throw new CorruptPayloadException("stored address in " + field + " is no longer valid");
    }
  }

  private static void writeAddress(JsonGenerator g, Address a) throws IOException {
    g.writeStartObject();
    g.writeStringField("email", a.email());
    if (a.name().isPresent()) {
      g.writeStringField("name", a.name().get());
    }
    g.writeEndObject();
  }

  private static void addresses(JsonGenerator g, String field, List<Address> list) throws IOException {
    if (!list.isEmpty()) {
      g.writeArrayFieldStart(field);
      for (Address a : list) {
        writeAddress(g, a);
      }
      g.writeEndArray();
    }
  }

  private static void optional(JsonGenerator g, String field, @Nullable String value) throws IOException {
    if (value != null) {
      g.writeStringField(field, value);
    }
  }

  private static void stringMap(JsonGenerator g, String field, Map<String, String> map) throws IOException {
    if (!map.isEmpty()) {
      g.writeObjectFieldStart(field);
      for (Map.Entry<String, String> e : map.entrySet()) {
        g.writeStringField(e.getKey(), e.getValue());
      }
      g.writeEndObject();
    }
  }

  private static Address readAddress(JsonParser p, String field) throws IOException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw new CorruptPayloadException("an address in " + field + " is not an object");
    }
    String email = null;
    String name = "";
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String f = p.currentName();
      JsonToken value = p.nextToken();
      if ("email".equals(f)) {
        email = value == JsonToken.VALUE_STRING ? p.getText() : null;
      } else if ("name".equals(f) && value != JsonToken.VALUE_NULL) {
        name = text(p, "name");
      } else {
        p.skipChildren();
      }
    }
    if (email == null) {
      throw new CorruptPayloadException("field \"email\" is missing or not text");
    }
    return address(email, name, field);
  }

  private static List<Address> readAddresses(JsonParser p, String field) throws IOException {
    startArray(p, field);
    List<Address> out = new ArrayList<>(1);
    while (p.nextToken() != JsonToken.END_ARRAY) {
      out.add(readAddress(p, field));
    }
    return out;
  }

  private static Attachment readAttachment(JsonParser p) throws IOException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw new CorruptPayloadException("an attachment is not an object");
    }
    String fileName = null;
    String type = null;
    String contentId = null;
    byte[] data = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String f = p.currentName();
      JsonToken value = p.nextToken();
      if (value == JsonToken.VALUE_NULL) {
        continue;
      }
      switch (f) {
        case "fileName" -> fileName = text(p, f);
        case "contentType" -> type = text(p, f);
        case "contentId" -> contentId = text(p, f);
        case "data" -> {
          if (value != JsonToken.VALUE_STRING) {
            throw new CorruptPayloadException("attachment data is not base64");
          }
          try {
            data = p.getBinaryValue();
          } catch (IOException e) {
            throw new CorruptPayloadException("attachment data is not base64");
          }
        }
        default -> p.skipChildren();
      }
    }
    if (data == null) {
      throw new CorruptPayloadException("field \"data\" is missing");
    }
    if (fileName == null || type == null) {
      throw new CorruptPayloadException("field \"" + (fileName == null ? "fileName" : "contentType")
          + "\" is missing or not text");
    }
    try {
      return contentId != null ? Attachment.inline(contentId, fileName, data, type) : Attachment.of(fileName, data, type);
    } catch (InvalidEmailException e) {
      throw new CorruptPayloadException("stored attachment is no longer valid: " + e.getMessage());
    }
  }

  private interface StringEntry {
    void accept(String key, String value);
  }

  private static void readStringMap(JsonParser p, String field, StringEntry into) throws IOException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw new CorruptPayloadException("field \"" + field + "\" is not an object");
    }
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      if (p.nextToken() != JsonToken.VALUE_STRING) {
        throw new CorruptPayloadException("field \"" + field + "\" has a value that is not text");
      }
      into.accept(key, p.getText());
    }
  }

  private static void readTemplate(JsonParser p, Email.Builder b) throws IOException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw new CorruptPayloadException("field \"template\" is not an object");
    }
    String name = null;
    Object model = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String f = p.currentName();
      JsonToken value = p.nextToken();
      if ("name".equals(f) && value != JsonToken.VALUE_NULL) {
        name = text(p, f);
      } else if ("model".equals(f) && value != JsonToken.VALUE_NULL) {
        model = fromJson(p);
      } else {
        p.skipChildren();
      }
    }
    if (model == null) {
      throw new CorruptPayloadException("field \"model\" is missing");
    }
    if (!(model instanceof Map<?, ?> map)) {
      throw new CorruptPayloadException("template model is not an object");
    }
    if (name == null) {
      throw new CorruptPayloadException("field \"name\" is missing or not text");
    }
    @SuppressWarnings("unchecked")
    Map<String, ?> typed = (Map<String, ?>) map;
    b.template(name, typed);
  }

  /** The text value the parser is on. */
  static String text(JsonParser p, String field) throws IOException {
    if (p.currentToken() != JsonToken.VALUE_STRING) {
      throw new CorruptPayloadException("field \"" + field + "\" is missing or not text");
    }
    return p.getText();
  }

  private static void startArray(JsonParser p, String field) {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw new CorruptPayloadException("field \"" + field + "\" is not an array");
    }
  }

  private static void modelValue(JsonGenerator g, Object value, String path) throws IOException {
    if (value instanceof String s) {
      g.writeString(s);
    } else if (value instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
      g.writeNumber(((Number) value).intValue());
    } else if (value instanceof Long l) {
      g.writeNumber(l);
    } else if (value instanceof BigInteger i) {
      g.writeNumber(i);
    } else if (value instanceof BigDecimal d) {
      g.writeNumber(d);
    } else if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw notJson(path, "a NaN or infinite number");
      }
      g.writeNumber(d);
    } else if (value instanceof Map<?, ?> map) {
      g.writeStartObject();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (!(e.getKey() instanceof String key) || e.getValue() == null) {
          throw notJson(path, "a map with a key that is not a string, or a null value");
        }
        g.writeFieldName(key);
        modelValue(g, e.getValue(), path + "." + key);
      }
      g.writeEndObject();
    } else if (value instanceof Collection<?> c) {
      g.writeStartArray();
      int i = 0;
      for (Object item : c) {
        if (item == null) {
          throw notJson(path + "[" + i + "]", "null");
        }
        modelValue(g, item, path + "[" + i++ + "]");
      }
      g.writeEndArray();
    } else if (value instanceof Object[] array) {
      modelValue(g, List.of(array), path);
    } else {
      throw notJson(path, "a " + value.getClass().getName());
    }
  }

  private static InvalidEmailException notJson(String path, String what) {
    return new InvalidEmailException("template " + path + " is " + what
        + ", which the Redis queue cannot store: use strings, numbers, booleans, lists and maps,"
        + " or render the template before queueing");
  }

  private static Object fromJson(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    switch (t) {
      case VALUE_STRING:
        return p.getText();
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NUMBER_INT:
        return switch (p.getNumberType()) {
          case INT -> p.getIntValue();
          case LONG -> p.getLongValue();
          default -> p.getBigIntegerValue();
        };
      case VALUE_NUMBER_FLOAT:
        return p.getDoubleValue();
      case START_OBJECT: {
        Map<String, Object> map = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          p.nextToken();
          map.put(key, fromJson(p));
        }
        return map;
      }
      case START_ARRAY: {
        List<Object> list = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          list.add(fromJson(p));
        }
        return List.copyOf(list);
      }
      default:
        throw new CorruptPayloadException("template model holds a null");
    }
  }
}
