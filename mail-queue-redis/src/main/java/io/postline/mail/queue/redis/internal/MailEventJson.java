package io.postline.mail.queue.redis.internal;

import io.postline.mail.queue.codec.internal.CorruptPayloadException;
import io.postline.mail.queue.codec.internal.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.postline.mail.event.MailEvent;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Every {@link MailEvent} record as JSON: its {@link MailEvent#type() type} and its components by
 * name, such as {@code {"v":1,"type":"sent","mailId":"...","timestamp":"...","provider":"smtp",
 * "providerMessageId":"...","attempts":1,"duration":"PT0.2S"}}. Instants and durations are
 * ISO-8601 text, enums their names, an empty Optional is left out.
 *
 * <p>The codec follows the records' components, so a component added to an event is stored
 * without touching this class, as long as its type is one of String, int, long, boolean,
 * Instant, Duration, an enum, or an Optional of these.
 */
public final class MailEventJson {
  private static final Map<String, Class<? extends MailEvent>> BY_TYPE = new LinkedHashMap<>();

  static {
    for (Class<?> c : MailEvent.class.getPermittedSubclasses()) {
      @SuppressWarnings("unchecked")
      Class<? extends MailEvent> event = (Class<? extends MailEvent>) c;
      BY_TYPE.put(typeName(event), event);
    }
  }

  private MailEventJson() {}

  /** The type names this codec knows, one per event record. */
  public static java.util.Set<String> types() {
    return java.util.Collections.unmodifiableSet(BY_TYPE.keySet());
  }

  /** Encodes an event. */
  public static byte[] write(MailEvent event) {
    ObjectNode n = Json.document().put("type", typeName(event.getClass()));
    for (RecordComponent c : event.getClass().getRecordComponents()) {
      Object value;
      try {
        value = c.getAccessor().invoke(event);
      } catch (IllegalAccessException | InvocationTargetException e) {
        throw new IllegalStateException("cannot read " + c.getName() + " of " + event.type(), e);
      }
      if (value instanceof Optional<?> o) {
        if (o.isEmpty()) {
          continue;
        }
        value = o.get();
      }
      put(n, c.getName(), value);
    }
    return Json.write(n);
  }

  /** Decodes an event written by {@link #write}. */
  public static MailEvent read(byte[] json) {
    ObjectNode n = Json.read(json, "audit event");
    String type = Json.text(n, "type");
    Class<? extends MailEvent> c = BY_TYPE.get(type);
    if (c == null) {
      throw new CorruptPayloadException("unknown event type " + type);
    }
    RecordComponent[] components = c.getRecordComponents();
    Object[] args = new Object[components.length];
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      RecordComponent rc = components[i];
      types[i] = rc.getType();
      if (rc.getType() == Optional.class) {
        Type inner = ((ParameterizedType) rc.getGenericType()).getActualTypeArguments()[0];
        JsonNode f = Json.field(n, rc.getName());
        args[i] = f == null ? Optional.empty() : Optional.of(get(n, rc.getName(), (Class<?>) inner));
      } else {
        args[i] = get(n, rc.getName(), rc.getType());
      }
    }
    try {
      Constructor<? extends MailEvent> constructor = c.getDeclaredConstructor(types);
      return constructor.newInstance(args);
    } catch (InvocationTargetException e) {
      throw new CorruptPayloadException("stored " + type + " event is not valid: " + e.getCause().getMessage());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot build a " + type + " event", e);
    }
  }

  private static void put(ObjectNode n, String name, Object value) {
    if (value instanceof String s) {
      n.put(name, s);
    } else if (value instanceof Integer i) {
      n.put(name, i);
    } else if (value instanceof Long l) {
      n.put(name, l);
    } else if (value instanceof Boolean b) {
      n.put(name, b);
    } else if (value instanceof Instant || value instanceof Duration) {
      n.put(name, value.toString());
    } else if (value instanceof Enum<?> e) {
      n.put(name, e.name());
    } else {
      throw new IllegalStateException("event component " + name + " has type "
          + value.getClass().getName() + ", which the audit codec does not store yet");
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Object get(JsonNode n, String name, Class<?> type) {
    if (type == String.class) {
      return Json.text(n, name);
    }
    if (type == int.class || type == Integer.class) {
      return Json.integer(n, name);
    }
    if (type == long.class || type == Long.class) {
      JsonNode f = Json.field(n, name);
      if (f == null || !f.canConvertToLong()) {
        throw new CorruptPayloadException("field \"" + name + "\" is missing or not an integer");
      }
      return f.longValue();
    }
    if (type == boolean.class || type == Boolean.class) {
      JsonNode f = Json.field(n, name);
      if (f == null || !f.isBoolean()) {
        throw new CorruptPayloadException("field \"" + name + "\" is missing or not a boolean");
      }
      return f.booleanValue();
    }
    if (type == Instant.class) {
      return Json.instant(n, name);
    }
    if (type == Duration.class) {
      return Json.duration(n, name);
    }
    if (type.isEnum()) {
      return Json.enumValue(n, name, (Class<Enum>) type);
    }
    throw new IllegalStateException("event component " + name + " has type " + type.getName()
        + ", which the audit codec does not read yet");
  }

  /** The same name as {@link MailEvent#type()}, from the class. */
  static String typeName(Class<?> c) {
    String simple = c.getSimpleName();
    StringBuilder s = new StringBuilder(simple.length() + 4);
    for (int i = 0; i < simple.length(); i++) {
      char ch = simple.charAt(i);
      if (Character.isUpperCase(ch) && i > 0) {
        s.append('_');
      }
      s.append(Character.toLowerCase(ch));
    }
    return s.toString();
  }
}
