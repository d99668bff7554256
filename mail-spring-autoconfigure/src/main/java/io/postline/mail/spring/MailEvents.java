package io.postline.mail.spring;

import io.postline.mail.event.MailEvent;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Turns {@link MailEvent}s (records that never carry bodies, subjects, addresses or secrets) into
 * plain maps for JSON: {@code type} first, then every component; absent optionals are left out,
 * numbers stay numbers, durations become milliseconds ({@code durationMs}), everything else text.
 */
final class MailEvents {
  private MailEvents() {}

  static Map<String, Object> describe(MailEvent event) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("type", event.type());
    RecordComponent[] components = event.getClass().getRecordComponents();
    if (components == null) {
      out.put("mailId", event.mailId());
      out.put("timestamp", event.timestamp().toString());
      event.caller().ifPresent(c -> out.put("caller", c));
      return out;
    }
    for (RecordComponent c : components) {
      Object value;
      try {
        value = c.getAccessor().invoke(event);
      } catch (IllegalAccessException | InvocationTargetException e) {
        continue;
      }
      if (value instanceof Optional<?> optional) {
        if (optional.isEmpty()) {
          continue;
        }
        value = optional.get();
      }
      if (value instanceof Duration d) {
        out.put(c.getName() + "Ms", d.toMillis());
      } else if (value instanceof Number || value instanceof Boolean) {
        out.put(c.getName(), value);
      } else if (value != null) {
        out.put(c.getName(), value.toString());
      }
    }
    return out;
  }
}
