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
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * {@link QueuedMail} as a versioned JSON document:
 * {@code {"v":1,"id":"...","attempts":0,"enqueuedAt":"...","dueAt":"...","correlationId":"...","email":{...}}}.
 * The Redis queue keeps attempts and due time in the message's hash as well (they change without
 * rewriting the payload); the hash wins when both are there.
 *
 * <p>Written and read with Jackson's streaming generator and parser. {@link #encode} and
 * {@link #encodeAll} write version 1, byte for byte what the previous release's tree-model writer
 * produced: a JVM still on the previous release reads it, so a rolling upgrade needs no setting.
 * {@link GroupEncoder} writes version {@value #SHARED_VERSION} for a group's copies (their body
 * stored once, apart), which only this release and later ones read; the reader takes both (see
 * {@code docs/queues.md}, "The payload codec and upgrades").
 */
public final class QueuedMailJson {
  /**
   * The payload version of a group copy whose body is stored apart, once for the group
   * ({@link GroupEncoder}): {@code {"v":2,"id":..,"attempts":..,"enqueuedAt":..,"dueAt":..,
   * "correlationId":..,"share":"<share id>","email":{<every field but subject..sendAt>}}}, read
   * together with its shared body {@code {"v":2,"share":"<share id>","email":{"subject":..,..,
   * "priority":..,"sendAt":..}}}. A reader of version 1 only refuses it (with
   * {@link CorruptPayloadException} naming the version).
   */
  public static final int SHARED_VERSION = 2;

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

  /**
   * The context a group's shared body is sealed with: its share id, marked so that it can never
   * be a message id's context.
   */
  public static String shareContext(String shareId) {
    return "\u0000share:" + shareId;
  }

  /**
   * A group's shared body, encoded once: what the copies naming {@code id} in their payload read
   * their content from.
   *
   * @param id the share id, unique (new for every group a batch stores)
   * @param json the shared body document (version {@value #SHARED_VERSION})
   */
  public record Share(String id, byte[] json) {}

  /**
   * The payloads of one chunk of a batch.
   *
   * @param payloads one per message, in order: version 1 for a message stored whole, version
   *     {@value #SHARED_VERSION} for one whose body is in a share
   * @param shareOf per message, the index in {@code shares} of its share, or -1 if stored whole
   * @param shares the shares the chunk's messages name (each once, in the order first named)
   */
  public record Chunk(List<byte[]> payloads, int[] shareOf, List<Share> shares) {}

  /**
   * Encodes the chunks of one batch, storing what consecutive copies of a group email share
   * (subject, text, HTML, attachments, headers, tags, metadata, priority, sendAt) once as a
   * {@link Share}: a message whose body equals its neighbour's (in its chunk, or the last one of
   * the chunk before) is written as version {@value #SHARED_VERSION} naming the share; a message
   * whose body no neighbour shares is written whole (version 1), as {@link #encode} does. A share
   * runs on across chunks while the body stays the same, so each of its chunks names the same id
   * and carries its document. Not thread-safe: one per batch.
   */
  public static final class GroupEncoder {
    private final Supplier<String> newShareId;
    private final ByteArrayBuilder out = new ByteArrayBuilder(INITIAL_BUFFER);
    private @Nullable Email last;
    private @Nullable Share current;

    /**
     * @param newShareId a new, unique share id per call
     */
    public GroupEncoder(Supplier<String> newShareId) {
      this.newShareId = newShareId;
    }

    /**
     * Encodes the next chunk of the batch.
     *
     * @throws io.postline.mail.InvalidEmailException if a template model holds a value that is
     *     not a JSON value
     */
    public Chunk encode(List<QueuedMail> chunk) {
      int n = chunk.size();
      // same[i]: message i's body equals the one before it (for the first, the previous chunk's last).
      boolean[] same = new boolean[n];
      for (int i = 0; i < n; i++) {
        Email before = i == 0 ? last : chunk.get(i - 1).email();
        same[i] = before != null && EmailJson.SharedBody.sameBody(before, chunk.get(i).email());
      }
      List<byte[]> payloads = new ArrayList<>(n);
      int[] shareOf = new int[n];
      List<Share> shares = new ArrayList<>(2);
      for (int i = 0; i < n; i++) {
        QueuedMail mail = chunk.get(i);
        if (!same[i]) {
          current = null;
        }
        if (!same[i] && !(i + 1 < n && same[i + 1])) {
          shareOf[i] = -1;
          out.reset();
          write(out, mail, null);
          payloads.add(out.toByteArray());
          continue;
        }
        if (current == null) {
          String id = newShareId.get();
          current = new Share(id, sharedBody(id, mail.email()));
        }
        if (shares.isEmpty() || shares.get(shares.size() - 1) != current) {
          shares.add(current);
        }
        shareOf[i] = shares.size() - 1;
        out.reset();
        writeOwn(out, mail, current.id());
        payloads.add(out.toByteArray());
      }
      if (n > 0) {
        last = chunk.get(n - 1).email();
        if (shareOf[n - 1] < 0) {
          current = null;
        }
      }
      return new Chunk(payloads, shareOf, List.copyOf(shares));
    }

    private static byte[] sharedBody(String id, Email email) {
      ByteArrayBuilder buffer = new ByteArrayBuilder(INITIAL_BUFFER);
      try (JsonGenerator g = Json.FACTORY.createGenerator(buffer)) {
        g.writeStartObject();
        g.writeNumberField("v", SHARED_VERSION);
        g.writeStringField("share", id);
        g.writeFieldName("email");
        EmailJson.writeSharedBody(g, email);
        g.writeEndObject();
      } catch (IOException e) {
        throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
      }
      return buffer.toByteArray();
    }
  }

  /** A group copy as version {@value #SHARED_VERSION}: its own fields and the id of its share. */
  private static void writeOwn(ByteArrayBuilder out, QueuedMail mail, String shareId) {
    try (JsonGenerator g = Json.FACTORY.createGenerator(out)) {
      g.writeStartObject();
      g.writeNumberField("v", SHARED_VERSION);
      g.writeStringField("id", mail.id());
      g.writeNumberField("attempts", mail.attempts());
      g.writeStringField("enqueuedAt", Json.formatUtc(mail.enqueuedAt()));
      g.writeStringField("dueAt", Json.formatUtc(mail.dueAt()));
      if (mail.correlationId().isPresent()) {
        g.writeStringField("correlationId", mail.correlationId().get());
      }
      g.writeStringField("share", shareId);
      g.writeFieldName("email");
      EmailJson.writeOwn(g, mail.email());
      g.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
    }
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
    return open(stored, null, cipher, context, now);
  }

  /**
   * Opens a stored message as {@link #open(byte[], PayloadCipher, String, Instant)} does, with the
   * stored shared body its version {@value #SHARED_VERSION} payload names (null for a message
   * stored whole). The share is opened with {@link #shareContext} of the id the payload names, so
   * a share that belongs to another group does not open; a sealed payload needs a sealed share.
   * The email is rebuilt without its checks only if both were sealed.
   *
   * @throws CorruptPayloadException if either does not open, the payload is of another version,
   *     names a share that is not the one given, or the email is no longer valid
   */
  public static QueuedMail open(byte[] stored, byte @Nullable [] share, PayloadCipher cipher, String context,
      Instant now) {
    byte[] json = cipher.open(stored, context);
    boolean sealed = cipher.encrypts() && AesGcmCipher.isSealed(stored);
    boolean shareSealed = share != null && cipher.encrypts() && AesGcmCipher.isSealed(share);
    return decode(json, share, cipher, now, sealed && (share == null || shareSealed), sealed);
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
    return open(stored, null, cipher, id, attempts, dueAt, now);
  }

  /**
   * Opens a stored message and its group's shared body (null for a message stored whole), as
   * {@link #open(byte[], byte[], PayloadCipher, String, Instant)} does, and gives it the queue's
   * own attempts and due time.
   *
   * @throws CorruptPayloadException as {@link #open(byte[], byte[], PayloadCipher, String, Instant)}
   *     does, or if it names another id
   */
  public static QueuedMail open(byte[] stored, byte @Nullable [] share, PayloadCipher cipher, String id,
      int attempts, Instant dueAt, Instant now) {
    QueuedMail mail = open(stored, share, cipher, id, now);
    if (!mail.id().equals(id)) {
      throw new CorruptPayloadException("stored message names another id");
    }
    return new QueuedMail(id, mail.email(), attempts, mail.enqueuedAt(), dueAt, mail.correlationId());
  }

  private static QueuedMail decode(byte[] json, Instant now, boolean trusted) {
    return decode(json, null, PayloadCipher.NONE, now, trusted, false);
  }

  private static QueuedMail decode(byte[] json, byte @Nullable [] share, PayloadCipher cipher, Instant now,
      boolean trusted, boolean sealed) {
    try (JsonParser p = Json.FACTORY.createParser(json)) {
      return read(p, share, cipher, now, trusted, sealed);
    } catch (StreamReadException e) {
      throw new CorruptPayloadException("queued message is not valid JSON");
    } catch (IOException e) {
      throw new CorruptPayloadException("queued message cannot be read");
    }
  }

  private static QueuedMail read(JsonParser p, byte @Nullable [] share, PayloadCipher cipher, Instant now,
      boolean trusted, boolean sealed) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      throw new CorruptPayloadException("queued message is not a JSON object");
    }
    int version = 0;
    String id = null;
    Integer attempts = null;
    Instant enqueuedAt = null;
    Instant dueAt = null;
    String correlationId = null;
    String shareId = null;
    EmailJson.Reading email = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      switch (field) {
        case "v" -> {
          if (value != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT) {
            throw new CorruptPayloadException("queued message has no format version \"v\"");
          }
          version = p.getIntValue();
          if (version != Json.VERSION && version != SHARED_VERSION) {
            throw new CorruptPayloadException("queued message has format version " + version
                + ", this Postline reads versions " + Json.VERSION + " and " + SHARED_VERSION);
          }
        }
        case "share" -> shareId = EmailJson.text(p, field);
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
        case "email" -> {
          if (value != JsonToken.VALUE_NULL) {
            email = new EmailJson.Reading(trusted);
            email.read(p, now, version == SHARED_VERSION ? EmailJson.Part.OWN : EmailJson.Part.WHOLE);
          }
        }
        default -> p.skipChildren();
      }
    }
    if (version == 0) {
      throw new CorruptPayloadException("queued message has no format version \"v\"");
    }
    if (email == null) {
      throw new CorruptPayloadException("queued message has no email");
    }
    if (id == null || attempts == null || enqueuedAt == null || dueAt == null) {
      String missing = id == null ? "id" : attempts == null ? "attempts" : enqueuedAt == null ? "enqueuedAt" : "dueAt";
      throw new CorruptPayloadException("field \"" + missing + "\" is missing");
    }
    if (version == SHARED_VERSION) {
      readShare(email, shareId, share, cipher, now, sealed);
    }
    return new QueuedMail(id, email.build(), attempts, enqueuedAt, dueAt, Optional.ofNullable(correlationId));
  }

  /** Reads the group's shared body a version 2 payload names into its email. */
  private static void readShare(EmailJson.Reading email, @Nullable String shareId, byte @Nullable [] share,
      PayloadCipher cipher, Instant now, boolean sealed) throws IOException {
    if (shareId == null) {
      throw new CorruptPayloadException("queued message of version " + SHARED_VERSION + " names no shared body");
    }
    if (share == null) {
      throw new CorruptPayloadException("the shared body of the queued message's group is missing");
    }
    if (sealed && !AesGcmCipher.isSealed(share)) {
      throw new CorruptPayloadException("the shared body of an encrypted queued message is not encrypted");
    }
    byte[] json = cipher.open(share, shareContext(shareId));
    try (JsonParser p = Json.FACTORY.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new CorruptPayloadException("shared body is not a JSON object");
      }
      boolean versioned = false;
      String named = null;
      boolean read = false;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "v" -> {
            if (value != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT
                || p.getIntValue() != SHARED_VERSION) {
              throw new CorruptPayloadException("shared body is not of format version " + SHARED_VERSION);
            }
            versioned = true;
          }
          case "share" -> named = EmailJson.text(p, field);
          case "email" -> {
            email.read(p, now, EmailJson.Part.SHARED_BODY);
            read = true;
          }
          default -> p.skipChildren();
        }
      }
      if (!versioned || !read) {
        throw new CorruptPayloadException("shared body has no " + (versioned ? "email" : "format version \"v\""));
      }
      if (!shareId.equals(named)) {
        throw new CorruptPayloadException("shared body belongs to another group");
      }
    } catch (StreamReadException e) {
      throw new CorruptPayloadException("shared body is not valid JSON");
    }
  }
}
