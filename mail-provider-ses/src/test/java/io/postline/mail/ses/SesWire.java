package io.postline.mail.ses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import io.postline.mail.Address;
import io.postline.mail.tck.DeliveredAttachment;
import io.postline.mail.tck.DeliveredMessage;
import jakarta.mail.BodyPart;
import jakarta.mail.Header;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

/** Reads what WireMock received as SES v2 {@code SendEmail} requests. */
final class SesWire {
  static final String PATH = "/v2/email/outbound-emails";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Session SESSION = Session.getInstance(new Properties());

  private SesWire() {}

  /** The JSON bodies of requests WireMock answered with 2xx, oldest first. */
  static List<JsonNode> acceptedBodies(WireMockExtension wire) {
    List<ServeEvent> events = new ArrayList<>(wire.getAllServeEvents());
    Collections.reverse(events);
    List<JsonNode> bodies = new ArrayList<>();
    for (ServeEvent e : events) {
      int status = e.getResponse().getStatus();
      if (status >= 200 && status < 300) {
        try {
          bodies.add(JSON.readTree(e.getRequest().getBodyAsString()));
        } catch (IOException ex) {
          throw new UncheckedIOException(ex);
        }
      }
    }
    return bodies;
  }

  static List<DeliveredMessage> delivered(WireMockExtension wire) {
    return acceptedBodies(wire).stream().map(SesWire::message).toList();
  }

  /** The raw MIME message of a request, parsed. */
  static MimeMessage raw(JsonNode body) {
    byte[] bytes = Base64.getDecoder().decode(body.path("Content").path("Raw").path("Data").asText());
    try {
      return new MimeMessage(SESSION, new ByteArrayInputStream(bytes));
    } catch (MessagingException e) {
      throw new IllegalStateException(e);
    }
  }

  static DeliveredMessage message(JsonNode body) {
    try {
      DeliveredMessage.Builder b = DeliveredMessage.builder();
      JsonNode destination = body.path("Destination");
      List<Address> envelope = new ArrayList<>();
      for (String field : List.of("ToAddresses", "CcAddresses", "BccAddresses")) {
        destination.path(field).forEach(a -> envelope.add(address(a.asText())));
      }
      JsonNode simple = body.path("Content").path("Simple");
      List<Address> to;
      List<Address> cc;
      if (!simple.isMissingNode()) {
        b.from(address(body.path("FromEmailAddress").asText()));
        to = list(destination.path("ToAddresses"));
        cc = list(destination.path("CcAddresses"));
        b.replyTo(list(body.path("ReplyToAddresses")));
        b.subject(simple.path("Subject").path("Data").asText());
        JsonNode text = simple.path("Body").path("Text");
        JsonNode html = simple.path("Body").path("Html");
        b.text(text.isMissingNode() ? null : text.path("Data").asText());
        b.html(html.isMissingNode() ? null : html.path("Data").asText());
        simple.path("Headers").forEach(h -> b.header(h.path("Name").asText(), h.path("Value").asText()));
      } else {
        MimeMessage mime = raw(body);
        b.from(address((InternetAddress) mime.getFrom()[0]));
        to = addresses(mime.getRecipients(Message.RecipientType.TO));
        cc = addresses(mime.getRecipients(Message.RecipientType.CC));
        b.replyTo(mime.getHeader("Reply-To") == null ? List.of() : addresses(mime.getReplyTo()));
        b.subject(mime.getSubject() == null ? "" : mime.getSubject());
        for (Header h : Collections.list(mime.getAllHeaders())) {
          b.header(h.getName(), MimeUtility.decodeText(MimeUtility.unfold(h.getValue())));
        }
        walk(mime, b);
      }
      b.to(to).cc(cc);
      Set<String> visible = new java.util.HashSet<>();
      to.forEach(a -> visible.add(a.asciiEmail().toLowerCase(Locale.ROOT)));
      cc.forEach(a -> visible.add(a.asciiEmail().toLowerCase(Locale.ROOT)));
      b.bcc(envelope.stream().filter(a -> !visible.contains(a.asciiEmail().toLowerCase(Locale.ROOT)))
          .collect(Collectors.toList()));
      List<String> tags = new ArrayList<>();
      body.path("EmailTags").forEach(t -> {
        if (t.path("Value").asText().equals("true")) {
          tags.add(t.path("Name").asText());
        } else {
          b.metadata(t.path("Name").asText(), t.path("Value").asText());
        }
      });
      b.tags(tags);
      return b.build();
    } catch (MessagingException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void walk(Part part, DeliveredMessage.Builder b) throws MessagingException, IOException {
    if (part.isMimeType("multipart/*")) {
      Multipart multipart = (Multipart) part.getContent();
      for (int i = 0; i < multipart.getCount(); i++) {
        BodyPart child = multipart.getBodyPart(i);
        walk(child, b);
      }
      return;
    }
    String disposition = part.getDisposition();
    if (disposition == null && part.isMimeType("text/plain")) {
      b.text((String) part.getContent());
    } else if (disposition == null && part.isMimeType("text/html")) {
      b.html((String) part.getContent());
    } else {
      byte[] bytes = part.getInputStream().readAllBytes();
      String type = part.getContentType();
      String id = part instanceof MimeBodyPart mbp ? mbp.getContentID() : null;
      String fileName = part.getFileName() == null ? null : MimeUtility.decodeText(part.getFileName());
      b.attachment(Part.INLINE.equalsIgnoreCase(disposition) && id != null
          ? DeliveredAttachment.inline(id, fileName == null ? id : fileName, type, bytes)
          : DeliveredAttachment.attachment(fileName, type, bytes));
    }
  }

  private static List<Address> list(JsonNode array) {
    List<Address> out = new ArrayList<>();
    array.forEach(a -> out.add(address(a.asText())));
    return out;
  }

  private static List<Address> addresses(jakarta.mail.Address[] addresses) {
    List<Address> out = new ArrayList<>();
    if (addresses != null) {
      for (jakarta.mail.Address a : addresses) {
        out.add(address((InternetAddress) a));
      }
    }
    return out;
  }

  static Address address(String text) {
    try {
      return address(new InternetAddress(text));
    } catch (AddressException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Address address(InternetAddress a) {
    return a.getPersonal() == null ? Address.of(a.getAddress()) : Address.of(a.getAddress(), a.getPersonal());
  }
}
