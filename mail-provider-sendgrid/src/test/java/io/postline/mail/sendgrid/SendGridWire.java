package io.postline.mail.sendgrid;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import io.postline.mail.Address;
import io.postline.mail.tck.DeliveredAttachment;
import io.postline.mail.tck.DeliveredMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads what WireMock received as SendGrid {@code /v3/mail/send} requests. */
final class SendGridWire {
  static final ObjectMapper JSON = new ObjectMapper();

  private SendGridWire() {}

  /** The bodies of requests WireMock answered with 2xx, oldest first. */
  static List<JsonNode> acceptedBodies(WireMockExtension wire) {
    List<ServeEvent> events = new ArrayList<>(wire.getAllServeEvents());
    java.util.Collections.reverse(events);
    List<JsonNode> bodies = new ArrayList<>();
    for (ServeEvent e : events) {
      int status = e.getResponse().getStatus();
      if (status >= 200 && status < 300) {
        bodies.add(parse(e.getRequest().getBodyAsString()));
      }
    }
    return bodies;
  }

  static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every message the accepted requests carry: one per personalization, substitutions applied. */
  static List<DeliveredMessage> delivered(WireMockExtension wire) {
    List<DeliveredMessage> all = new ArrayList<>();
    for (JsonNode body : acceptedBodies(wire)) {
      all.addAll(messages(body));
    }
    return all;
  }

  static List<DeliveredMessage> messages(JsonNode root) {
    List<DeliveredMessage> out = new ArrayList<>();
    String text = null;
    String html = null;
    for (JsonNode c : root.path("content")) {
      if (c.path("type").asText().equals("text/plain")) {
        text = c.path("value").asText();
      } else if (c.path("type").asText().equals("text/html")) {
        html = c.path("value").asText();
      }
    }
    for (JsonNode p : root.path("personalizations")) {
      Map<String, String> subs = strings(p.path("substitutions"));
      DeliveredMessage.Builder b = DeliveredMessage.builder()
          .from(address(root.path("from")))
          .to(addresses(p.path("to"))).cc(addresses(p.path("cc"))).bcc(addresses(p.path("bcc")))
          .subject(substitute(p.has("subject") ? p.path("subject").asText() : root.path("subject").asText(), subs))
          .text(text == null ? null : substitute(text, subs))
          .html(html == null ? null : substitute(html, subs));
      if (root.has("reply_to")) {
        b.replyTo(List.of(address(root.path("reply_to"))));
      }
      b.replyTo(addresses(root.path("reply_to_list")));
      for (JsonNode a : root.path("attachments")) {
        byte[] bytes = Base64.getDecoder().decode(a.path("content").asText());
        String type = a.path("type").asText();
        String name = a.path("filename").asText();
        b.attachment("inline".equals(a.path("disposition").asText())
            ? DeliveredAttachment.inline(a.path("content_id").asText(), name, type, bytes)
            : DeliveredAttachment.attachment(name, type, bytes));
      }
      strings(root.path("headers")).forEach(b::header);
      strings(p.path("headers")).forEach(b::header);
      List<String> tags = new ArrayList<>();
      root.path("categories").forEach(t -> tags.add(t.asText()));
      b.tags(tags);
      strings(root.path("custom_args")).forEach(b::metadata);
      strings(p.path("custom_args")).forEach(b::metadata);
      long sendAt = p.has("send_at") ? p.path("send_at").asLong() : root.path("send_at").asLong(0);
      b.sendAt(sendAt == 0 ? null : Instant.ofEpochSecond(sendAt));
      out.add(b.build());
    }
    return out;
  }

  private static String substitute(String text, Map<String, String> subs) {
    String s = text;
    for (Map.Entry<String, String> e : subs.entrySet()) {
      s = s.replace(e.getKey(), e.getValue());
    }
    return s;
  }

  private static Map<String, String> strings(JsonNode node) {
    Map<String, String> map = new LinkedHashMap<>();
    node.properties().forEach(e -> map.put(e.getKey(), e.getValue().asText()));
    return map;
  }

  private static List<Address> addresses(JsonNode array) {
    List<Address> list = new ArrayList<>();
    array.forEach(a -> list.add(address(a)));
    return list;
  }

  private static Address address(JsonNode node) {
    String email = node.path("email").asText();
    return node.has("name") ? Address.of(email, node.path("name").asText()) : Address.of(email);
  }
}
