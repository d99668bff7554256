package io.postline.mail.queue.codec.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.postline.mail.core.QueuedMail;
import java.time.Instant;

/**
 * FROZEN: the previous release's tree-model codec, exactly as it shipped (only renamed), kept as
 * the reference that compatibility tests read new payloads with and write old payloads with.
 * Do not change it.
 *
 * <p>{@link QueuedMail} as a versioned JSON document:
 * {@code {"v":1,"id":"...","attempts":0,"enqueuedAt":"...","dueAt":"...","correlationId":"...","email":{...}}}.
 * The Redis queue keeps attempts and due time in the message's hash as well (they change without
 * rewriting the payload); the hash wins when both are there.
 */
final class PreviousQueuedMailJson {
  private PreviousQueuedMailJson() {}

  /** Encodes the message. */
  public static byte[] encode(QueuedMail mail) {
    ObjectNode n = Json.document()
        .put("id", mail.id())
        .put("attempts", mail.attempts())
        .put("enqueuedAt", mail.enqueuedAt().toString())
        .put("dueAt", mail.dueAt().toString());
    mail.correlationId().ifPresent(c -> n.put("correlationId", c));
    n.set("email", PreviousEmailJson.encode(mail.email()));
    return Json.write(n);
  }

  /**
   * Decodes a message written by {@link #encode}.
   *
   * @param now the time a stored {@code sendAt} is compared with (see PreviousEmailJson.decode)
   */
  public static QueuedMail decode(byte[] json, Instant now) {
    ObjectNode n = Json.read(json, "queued message");
    JsonNode email = Json.field(n, "email");
    if (email == null) {
      throw new CorruptPayloadException("queued message has no email");
    }
    return new QueuedMail(Json.text(n, "id"), PreviousEmailJson.decode(email, now), Json.integer(n, "attempts"),
        Json.instant(n, "enqueuedAt"), Json.instant(n, "dueAt"), Json.optionalText(n, "correlationId"));
  }
}
