package io.postline.mail.queue.redis.internal;

import io.postline.mail.queue.codec.internal.CorruptPayloadException;
import io.postline.mail.queue.codec.internal.EmailJson;
import io.postline.mail.queue.codec.internal.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.postline.mail.RecipientStatus;
import io.postline.mail.SendResult;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link SendResult} as JSON: {@code {"v":1,"provider":"...","messageId":"...","recipients":
 * [{"address":{"email":"...","name":"..."},"status":"ACCEPTED","reason":"..."}],"attempts":1,
 * "duration":"PT0.25S"}}.
 */
public final class SendResultJson {
  private SendResultJson() {}

  /** Encodes the result as a document with its version. */
  public static ObjectNode encode(SendResult r) {
    ObjectNode n = Json.document().put("provider", r.provider()).put("messageId", r.messageId());
    ArrayNode list = n.putArray("recipients");
    for (RecipientStatus s : r.recipients()) {
      ObjectNode o = list.addObject();
      o.set("address", EmailJson.address(s.address()));
      o.put("status", s.status().name());
      s.reason().ifPresent(reason -> o.put("reason", reason));
    }
    n.put("attempts", r.attempts()).put("duration", r.duration().toString());
    return n;
  }

  /** Encodes the result as bytes. */
  public static byte[] write(SendResult r) {
    return Json.write(encode(r));
  }

  /** Reads bytes written by {@link #write}. */
  public static SendResult read(byte[] json) {
    return decode(Json.read(json, "send result"));
  }

  /** Decodes a document written by {@link #encode}. */
  public static SendResult decode(JsonNode n) {
    JsonNode list = Json.field(n, "recipients");
    List<RecipientStatus> recipients = new ArrayList<>();
    if (list != null) {
      if (!list.isArray()) {
        throw new CorruptPayloadException("field \"recipients\" is not an array");
      }
      for (JsonNode o : list) {
        JsonNode address = Json.field(o, "address");
        if (address == null) {
          throw new CorruptPayloadException("recipient has no address");
        }
        recipients.add(new RecipientStatus(EmailJson.readAddress(address, "recipients"),
            Json.enumValue(o, "status", RecipientStatus.Status.class), Json.optionalText(o, "reason")));
      }
    }
    try {
      return new SendResult(Json.text(n, "provider"), Json.text(n, "messageId"), recipients,
          Json.integer(n, "attempts"), Json.duration(n, "duration"));
    } catch (IllegalArgumentException e) {
      throw new CorruptPayloadException("stored send result is not valid: " + e.getMessage());
    }
  }
}
