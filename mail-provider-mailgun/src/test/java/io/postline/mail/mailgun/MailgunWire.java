package io.postline.mail.mailgun;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.postline.mail.Address;
import io.postline.mail.tck.DeliveredAttachment;
import io.postline.mail.tck.DeliveredMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/** Reads what WireMock received as Mailgun {@code /v3/{domain}/messages} forms. */
final class MailgunWire {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern NAME = Pattern.compile("name=\"([^\"]*)\"");
  private static final Pattern FILENAME = Pattern.compile("filename=\"([^\"]*)\"");

  private MailgunWire() {}

  /** One part of a multipart/form-data body. */
  record Part(String name, @Nullable String fileName, @Nullable String contentType, byte[] content) {
    String text() {
      return new String(content, StandardCharsets.UTF_8);
    }
  }

  /** The forms of the requests WireMock answered with 2xx, oldest first. */
  static List<List<Part>> acceptedForms(WireMockExtension wire) {
    List<ServeEvent> events = new ArrayList<>(wire.getAllServeEvents());
    Collections.reverse(events);
    List<List<Part>> forms = new ArrayList<>();
    for (ServeEvent e : events) {
      int status = e.getResponse().getStatus();
      if (status >= 200 && status < 300) {
        forms.add(parts(e.getRequest()));
      }
    }
    return forms;
  }

  /** Every message the accepted requests carry: one per batch recipient, variables applied. */
  static List<DeliveredMessage> delivered(WireMockExtension wire) {
    List<DeliveredMessage> all = new ArrayList<>();
    for (List<Part> form : acceptedForms(wire)) {
      all.addAll(messages(form));
    }
    return all;
  }

  static List<Part> parts(LoggedRequest request) {
    String contentType = request.getHeader("Content-Type");
    String boundary = contentType.substring(contentType.indexOf("boundary=") + "boundary=".length());
    String body = new String(request.getBody(), StandardCharsets.ISO_8859_1);
    List<Part> parts = new ArrayList<>();
    String delimiter = "--" + boundary;
    int at = body.indexOf(delimiter);
    while (at >= 0) {
      int start = at + delimiter.length();
      if (body.startsWith("--", start)) {
        break;
      }
      start += 2; // CRLF
      int next = body.indexOf("\r\n" + delimiter, start);
      String raw = body.substring(start, next);
      int split = raw.indexOf("\r\n\r\n");
      String headers = new String(raw.substring(0, split).getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
      byte[] content = raw.substring(split + 4).getBytes(StandardCharsets.ISO_8859_1);
      Matcher name = NAME.matcher(headers);
      Matcher file = FILENAME.matcher(headers);
      String type = null;
      for (String line : headers.split("\r\n")) {
        if (line.toLowerCase(Locale.ROOT).startsWith("content-type:")) {
          type = line.substring("content-type:".length()).strip();
        }
      }
      if (!name.find()) {
        throw new IllegalStateException("part without a name: " + headers);
      }
      parts.add(new Part(name.group(1), file.find() ? file.group(1) : null, type, content));
      at = next + 2;
    }
    return parts;
  }

  static List<String> values(List<Part> form, String name) {
    return form.stream().filter(p -> p.name().equals(name)).map(Part::text).toList();
  }

  static Optional<String> value(List<Part> form, String name) {
    List<String> values = values(form, name);
    return values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  static List<DeliveredMessage> messages(List<Part> form) {
    Optional<String> variables = value(form, "recipient-variables");
    List<Address> to = values(form, "to").stream().map(Address::parse).toList();
    if (variables.isEmpty()) {
      return List.of(message(form, to, Map.of()));
    }
    JsonNode vars;
    try {
      vars = JSON.readTree(variables.get());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<DeliveredMessage> out = new ArrayList<>();
    for (Address recipient : to) {
      JsonNode mine = vars.path(recipient.asciiEmail());
      Map<String, String> values = new java.util.LinkedHashMap<>();
      mine.properties().forEach(e -> values.put(e.getKey(), e.getValue().asText()));
      out.add(message(form, List.of(recipient), values));
    }
    return out;
  }

  private static DeliveredMessage message(List<Part> form, List<Address> to, Map<String, String> vars) {
    DeliveredMessage.Builder b = DeliveredMessage.builder()
        .from(Address.parse(value(form, "from").orElseThrow()))
        .to(to)
        .cc(values(form, "cc").stream().map(Address::parse).toList())
        .bcc(values(form, "bcc").stream().map(Address::parse).toList())
        .subject(substitute(value(form, "subject").orElse(""), vars))
        .text(value(form, "text").map(t -> substitute(t, vars)).orElse(null))
        .html(value(form, "html").map(h -> substitute(h, vars)).orElse(null));
    value(form, "h:Reply-To").ifPresent(r -> b.replyTo(splitAddresses(r)));
    for (Part p : form) {
      if (p.name().startsWith("h:") && !p.name().equals("h:Reply-To")) {
        b.header(p.name().substring(2), p.text());
      } else if (p.name().startsWith("v:")) {
        b.metadata(p.name().substring(2), substitute(p.text(), vars)); // Mailgun fills user variables in too
      } else if (p.name().equals("attachment")) {
        b.attachment(DeliveredAttachment.attachment(p.fileName(), p.contentType(), p.content()));
      } else if (p.name().equals("inline")) {
        b.attachment(DeliveredAttachment.inline(p.fileName(), p.fileName(), p.contentType(), p.content()));
      }
    }
    b.tags(values(form, "o:tag"));
    value(form, "o:deliverytime").ifPresent(t -> b.sendAt(
        ZonedDateTime.parse(t, DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss Z", Locale.US)).toInstant()));
    return b.build();
  }

  private static String substitute(String text, Map<String, String> vars) {
    String s = text;
    for (Map.Entry<String, String> e : vars.entrySet()) {
      s = s.replace("%recipient." + e.getKey() + "%", e.getValue());
    }
    return s;
  }

  /** Splits an address list at commas outside quotes. */
  static List<Address> splitAddresses(String list) {
    List<String> parts = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < list.length(); i++) {
      char c = list.charAt(i);
      if (c == '\\' && quoted && i + 1 < list.length()) {
        current.append(c).append(list.charAt(++i));
        continue;
      }
      if (c == '"') {
        quoted = !quoted;
      }
      if (c == ',' && !quoted) {
        parts.add(current.toString());
        current.setLength(0);
      } else {
        current.append(c);
      }
    }
    parts.add(current.toString());
    return parts.stream().map(String::strip).filter(s -> !s.isEmpty()).map(Address::parse)
        .collect(Collectors.toList());
  }
}
