package io.postline.mail.smtp;

import com.icegreen.greenmail.imap.ImapHostManager;
import com.icegreen.greenmail.store.FolderException;
import com.icegreen.greenmail.store.StoredMessage;
import com.icegreen.greenmail.user.GreenMailUser;
import com.icegreen.greenmail.base.GreenMailOperations;
import io.postline.mail.Address;
import io.postline.mail.smtp.internal.TagHeaders;
import io.postline.mail.tck.DeliveredAttachment;
import io.postline.mail.tck.DeliveredMessage;
import jakarta.mail.BodyPart;
import jakarta.mail.Header;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.io.IOException;
import java.io.InputStream;
import java.io.UnsupportedEncodingException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What GreenMail received, one {@link DeliveredMessage} per message: GreenMail keeps one copy per
 * recipient mailbox, so copies are grouped by Message-ID, and the mailboxes a message reached are
 * its envelope recipients (bcc being those not named in To or Cc).
 */
final class GreenMailInbox {
  private GreenMailInbox() {}

  static List<DeliveredMessage> read(GreenMailOperations greenMail) throws MessagingException, IOException {
    Map<String, MimeMessage> byId = new LinkedHashMap<>();
    Map<String, Set<String>> envelope = new LinkedHashMap<>();
    ImapHostManager imap = greenMail.getManagers().getImapHostManager();
    List<Object[]> all = new ArrayList<>();
    for (GreenMailUser user : greenMail.getUserManager().listUser()) {
      List<StoredMessage> stored;
      try {
        stored = imap.getInbox(user).getMessages();
      } catch (FolderException e) {
        throw new IllegalStateException(e);
      }
      for (StoredMessage m : stored) {
        all.add(new Object[] {m, user.getEmail()});
      }
    }
    all.sort((a, b) -> ((StoredMessage) a[0]).getReceivedDate().compareTo(((StoredMessage) b[0]).getReceivedDate()));
    for (Object[] entry : all) {
      MimeMessage m = ((StoredMessage) entry[0]).getMimeMessage();
      String id = m.getMessageID();
      byId.putIfAbsent(id, m);
      envelope.computeIfAbsent(id, k -> new LinkedHashSet<>()).add(((String) entry[1]).toLowerCase(Locale.ROOT));
    }
    List<DeliveredMessage> out = new ArrayList<>();
    for (Map.Entry<String, MimeMessage> e : byId.entrySet()) {
      out.add(parse(e.getValue(), envelope.get(e.getKey())));
    }
    return out;
  }

  /** Parses one received message; {@code envelope} holds the mailboxes it reached. */
  static DeliveredMessage parse(MimeMessage m, Set<String> envelope) throws MessagingException, IOException {
    DeliveredMessage.Builder b = DeliveredMessage.builder();
    b.from(address((InternetAddress) m.getFrom()[0]));
    List<Address> to = addresses(m.getRecipients(Message.RecipientType.TO));
    List<Address> cc = addresses(m.getRecipients(Message.RecipientType.CC));
    b.to(to).cc(cc);
    Set<String> named = new LinkedHashSet<>();
    to.forEach(a -> named.add(a.asciiEmail().toLowerCase(Locale.ROOT)));
    cc.forEach(a -> named.add(a.asciiEmail().toLowerCase(Locale.ROOT)));
    List<Address> bcc = new ArrayList<>();
    for (String rcpt : envelope) {
      if (!named.contains(rcpt)) {
        bcc.add(Address.of(rcpt));
      }
    }
    b.bcc(bcc);
    if (m.getHeader("Reply-To") != null) {
      b.replyTo(addresses(m.getReplyTo()));
    }
    b.subject(m.getSubject() == null ? "" : m.getSubject());
    Body body = new Body();
    walk(m, body);
    b.text(body.text).html(body.html);
    body.attachments.forEach(b::attachment);
    Enumeration<Header> headers = m.getAllHeaders();
    while (headers.hasMoreElements()) {
      Header h = headers.nextElement();
      String value = MimeUtility.decodeText(MimeUtility.unfold(h.getValue()));
      b.header(h.getName(), value);
      if (h.getName().equalsIgnoreCase(TagHeaders.TAGS)) {
        List<String> tags = new ArrayList<>();
        for (String t : value.split(",\\s*")) {
          tags.add(URLDecoder.decode(t.replace("+", "%2B"), StandardCharsets.UTF_8));
        }
        b.tags(tags);
      } else if (h.getName().regionMatches(true, 0, TagHeaders.META_PREFIX, 0, TagHeaders.META_PREFIX.length())) {
        b.metadata(h.getName().substring(TagHeaders.META_PREFIX.length()), value);
      }
    }
    return b.build();
  }

  private static final class Body {
    String text;
    String html;
    final List<DeliveredAttachment> attachments = new ArrayList<>();
  }

  private static void walk(Part part, Body body) throws MessagingException, IOException {
    if (part.isMimeType("multipart/*")) {
      Multipart mp = (Multipart) part.getContent();
      for (int i = 0; i < mp.getCount(); i++) {
        BodyPart child = mp.getBodyPart(i);
        walk(child, body);
      }
      return;
    }
    String disposition = part.getDisposition();
    String[] contentId = part.getHeader("Content-ID");
    boolean file = Part.ATTACHMENT.equalsIgnoreCase(disposition) || contentId != null
        || (Part.INLINE.equalsIgnoreCase(disposition) && part.getFileName() != null);
    if (!file && part.isMimeType("text/plain") && body.text == null) {
      body.text = (String) part.getContent();
      return;
    }
    if (!file && part.isMimeType("text/html") && body.html == null) {
      body.html = (String) part.getContent();
      return;
    }
    byte[] bytes;
    try (InputStream in = part.getInputStream()) {
      bytes = in.readAllBytes();
    }
    String name = part.getFileName();
    name = name == null ? "" : MimeUtility.decodeText(name);
    String type = part.getContentType();
    if (contentId != null) {
      body.attachments.add(DeliveredAttachment.inline(contentId[0], name, type, bytes));
    } else {
      body.attachments.add(DeliveredAttachment.attachment(name, type, bytes));
    }
  }

  private static List<Address> addresses(jakarta.mail.Address[] list) throws UnsupportedEncodingException {
    if (list == null) {
      return List.of();
    }
    List<Address> out = new ArrayList<>();
    for (jakarta.mail.Address a : Arrays.asList(list)) {
      out.add(address((InternetAddress) a));
    }
    return out;
  }

  private static Address address(InternetAddress ia) {
    String personal = ia.getPersonal();
    return Address.of(ia.getAddress(), personal == null ? "" : personal);
  }
}
