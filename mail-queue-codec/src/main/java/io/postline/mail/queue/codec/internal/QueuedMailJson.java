package io.postline.mail.queue.codec.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.postline.mail.Email;
import io.postline.mail.core.QueuedMail;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * {@link QueuedMail} as a versioned JSON document:
 * {@code {"v":1,"id":"...","attempts":0,"enqueuedAt":"...","dueAt":"...","correlationId":"...","email":{...}}}.
 * The Redis queue keeps attempts and due time in the message's hash as well (they change without
 * rewriting the payload); the hash wins when both are there.
 *
 * <p>Written and read with Jackson's streaming generator and parser. The format is version 1,
 * byte for byte what the previous release's tree-model writer produced: a JVM still on the
 * previous release reads what this one writes, so a rolling upgrade needs no setting (see
 * {@code docs/redis-queue.md}, "Upgrading").
 */
public final class QueuedMailJson {
  private static final int INITIAL_BUFFER = 4096;
  private static final ThreadLocal<ByteArrayBuilder> BUFFERS =
      ThreadLocal.withInitial(() -> new ByteArrayBuilder(4 * INITIAL_BUFFER));

  private QueuedMailJson() {}

  /**
   * Encodes the message.
   *
   * @throws io.postline.mail.InvalidEmailException if its template model holds a value that is not
   *     a JSON value
   */
  public static byte[] encode(QueuedMail mail) {
    // The thread's buffer, reused: one copy of the exact size per message, no segments to grow
    // and drop (about 5 KB of garbage less for a 5 KB message).
    ByteArrayBuilder out = BUFFERS.get();
    out.reset();
    boolean keep = false;
    try {
      write(out, mail, null);
      // Kept only while one message fits its first block (a larger one left a smaller block current).
      keep = out.size() <= out.getCurrentSegment().length;
      return out.toByteArray();
    } finally {
      if (keep) {
        out.reset();
      } else {
        BUFFERS.remove();
      }
    }
  }

  /**
   * Encodes messages (such as the copies of a group email), each exactly as {@link #encode} does;
   * what consecutive emails share from subject to sendAt (bodies, attachments, headers, tags,
   * metadata, priority, schedule) is encoded once.
   *
   * @throws io.postline.mail.InvalidEmailException if a template model holds a value that is not
   *     a JSON value
   */
  public static List<byte[]> encodeAll(List<QueuedMail> mails) {
    List<byte[]> encoded = new ArrayList<>(mails.size());
    ByteArrayBuilder out = new ByteArrayBuilder(INITIAL_BUFFER);
    EmailJson.SharedBody shared = new EmailJson.SharedBody(out);
    for (QueuedMail mail : mails) {
      out.reset();
      write(out, mail, shared);
      encoded.add(out.toByteArray());
    }
    return encoded;
  }

  private static void write(ByteArrayBuilder out, QueuedMail mail, EmailJson.@Nullable SharedBody shared) {
    Email email = mail.email();
    try (JsonGenerator g = Json.FACTORY.createGenerator(out)) {
      g.writeStartObject();
      g.writeNumberField("v", Json.VERSION);
      g.writeStringField("id", mail.id());
      g.writeNumberField("attempts", mail.attempts());
      g.writeStringField("enqueuedAt", Json.formatUtc(mail.enqueuedAt()));
      g.writeStringField("dueAt", Json.formatUtc(mail.dueAt()));
      if (mail.correlationId().isPresent()) {
        g.writeStringField("correlationId", mail.correlationId().get());
      }
      g.writeFieldName("email");
      EmailJson.write(g, email, shared);
      g.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
    }
  }

  /**
   * Decodes a message written by {@link #encode}, checking the email as {@code Email.Builder}
   * does.
   *
   * @param now the time a stored {@code sendAt} is compared with
   * @throws CorruptPayloadException if it is not a version 1 queued message or no longer valid
   */
  public static QueuedMail decode(byte[] json, Instant now) {
    return decode(json, now, false);
  }

  /**
   * Opens a stored message with the cipher and decodes it. A message that was sealed (AES-GCM:
   * Postline wrote it and nobody changed it since) is rebuilt without checking the email again;
   * a plaintext one is checked as {@link #decode(byte[], Instant)} checks it.
   *
   * @param context the context it was sealed with (its id)
   * @throws CorruptPayloadException if it does not open, is not a version 1 queued message or is
   *     no longer valid
   */
  public static QueuedMail open(byte[] stored, PayloadCipher cipher, String context, Instant now) {
    byte[] json = cipher.open(stored, context);
    return decode(json, now, cipher.encrypts() && AesGcmCipher.isSealed(stored));
  }

  /**
   * Opens the stored message of a queue row or hash, as {@link #open(byte[], PayloadCipher, String,
   * Instant)} does (sealed with its id as the context), and gives it the queue's own attempts and
   * due time, which change without the payload being written again.
   *
   * @throws CorruptPayloadException if it does not open, is not a version 1 queued message, is no
   *     longer valid or names another id
   */
  public static QueuedMail open(byte[] stored, PayloadCipher cipher, String id, int attempts, Instant dueAt,
      Instant now) {
    QueuedMail mail = open(stored, cipher, id, now);
    if (!mail.id().equals(id)) {
      throw new CorruptPayloadException("stored message names another id");
    }
    return new QueuedMail(id, mail.email(), attempts, mail.enqueuedAt(), dueAt, mail.correlationId());
  }

  private static QueuedMail decode(byte[] json, Instant now, boolean trusted) {
    try (JsonParser p = Json.FACTORY.createParser(json)) {
      return read(p, now, trusted);
    } catch (StreamReadException e) {
      throw new CorruptPayloadException("queued message is not valid JSON");
    } catch (IOException e) {
      throw new CorruptPayloadException("queued message cannot be read");
    }
  }

  private static QueuedMail read(JsonParser p, Instant now, boolean trusted) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      throw new CorruptPayloadException("queued message is not a JSON object");
    }
    boolean versioned = false;
    String id = null;
    Integer attempts = null;
    Instant enqueuedAt = null;
    Instant dueAt = null;
    String correlationId = null;
    Email email = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      switch (field) {
        case "v" -> {
          if (value != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT) {
            throw new CorruptPayloadException("queued message has no format version \"v\"");
          }
          if (p.getIntValue() != Json.VERSION) {
            throw new CorruptPayloadException("queued message has format version " + p.getIntValue()
                + ", this Postline reads version " + Json.VERSION);
          }
          versioned = true;
        }
        case "id" -> id = EmailJson.text(p, field);
        case "attempts" -> {
          if (value != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT) {
            throw new CorruptPayloadException("field \"attempts\" is missing or not an integer");
          }
          attempts = p.getIntValue();
        }
        case "enqueuedAt" -> enqueuedAt = Json.parseInstant(EmailJson.text(p, field), field);
        case "dueAt" -> dueAt = Json.parseInstant(EmailJson.text(p, field), field);
        case "correlationId" -> correlationId = value == JsonToken.VALUE_NULL ? null : EmailJson.text(p, field);
        case "email" -> email = value == JsonToken.VALUE_NULL ? null : EmailJson.read(p, now, trusted);
        default -> p.skipChildren();
      }
    }
    if (!versioned) {
      throw new CorruptPayloadException("queued message has no format version \"v\"");
    }
    if (email == null) {
      throw new CorruptPayloadException("queued message has no email");
    }
    if (id == null || attempts == null || enqueuedAt == null || dueAt == null) {
      String missing = id == null ? "id" : attempts == null ? "attempts" : enqueuedAt == null ? "enqueuedAt" : "dueAt";
      throw new CorruptPayloadException("field \"" + missing + "\" is missing");
    }
    return new QueuedMail(id, email, attempts, enqueuedAt, dueAt, Optional.ofNullable(correlationId));
  }
}
