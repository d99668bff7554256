package io.postline.mail.ses.internal;

import io.postline.mail.Address;
import io.postline.mail.Email;
import io.postline.mail.mime.DkimSigner;
import io.postline.mail.mime.MimeRenderer;
import io.postline.mail.mime.MimeSigning;
import io.postline.mail.mime.Smime;
import jakarta.mail.internet.InternetAddress;
import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sesv2.model.Body;
import software.amazon.awssdk.services.sesv2.model.Content;
import software.amazon.awssdk.services.sesv2.model.Destination;
import software.amazon.awssdk.services.sesv2.model.EmailContent;
import software.amazon.awssdk.services.sesv2.model.Message;
import software.amazon.awssdk.services.sesv2.model.MessageHeader;
import software.amazon.awssdk.services.sesv2.model.MessageTag;
import software.amazon.awssdk.services.sesv2.model.RawMessage;
import software.amazon.awssdk.services.sesv2.model.SendEmailRequest;

/**
 * Maps emails to SES v2 {@code SendEmail} requests.
 *
 * <p>{@code Simple} content (subject, text and HTML bodies, custom headers) when the email has no
 * attachments and at most {@value #MAX_SIMPLE_HEADERS} custom headers; {@code Raw} content, the
 * MIME message rendered by mail-mime, otherwise (or always, when asked, and when Postline signs:
 * S/MIME, then DKIM over the final bytes). The {@code Destination}
 * always lists every recipient, so bcc addresses are delivered without a {@code Bcc} header.
 *
 * <p>Tags and metadata become {@code EmailTags}: a tag {@code welcome} is
 * {@code {Name: welcome, Value: true}}, a metadata entry {@code userId=42} is
 * {@code {Name: userId, Value: 42}}. SES allows only ASCII letters, digits, {@code _} and
 * {@code -} in both, at most 256 characters: every other character becomes {@code _}, longer text
 * is cut, and an empty value becomes {@code _}. Two entries that end up with the same name are
 * refused rather than merged.
 */
public final class SesRequests {
  /** SES's limit of recipients (to + cc + bcc) per message. */
  public static final int MAX_RECIPIENTS = 50;
  /** SES's limit of message tags per message (tags and metadata together). */
  public static final int MAX_MESSAGE_TAGS = 50;
  /** The most custom headers sent as {@code Simple} content; more are sent as {@code Raw}. */
  static final int MAX_SIMPLE_HEADERS = 15;
  private static final int MAX_TAG_TEXT = 256;
  private static final String UTF_8 = "UTF-8";

  private final String provider;
  private final @Nullable String configurationSet;
  private final boolean alwaysRaw;
  private final MimeRenderer renderer;
  private final @Nullable Smime smime;
  private final @Nullable DkimSigner dkim;

  /**
   * Creates a mapper.
   *
   * @param provider the provider's name, for problem messages
   * @param configurationSet the configuration set to name in every request, if any
   * @param alwaysRaw whether to send every message as {@code Raw} MIME
   * @param renderer renders {@code Raw} messages
   * @param smime signs and/or encrypts every message with S/MIME, if set
   * @param dkim signs every message with DKIM, if set
   */
  public SesRequests(String provider, @Nullable String configurationSet, boolean alwaysRaw, MimeRenderer renderer,
      @Nullable Smime smime, @Nullable DkimSigner dkim) {
    this.provider = provider;
    this.configurationSet = configurationSet;
    this.alwaysRaw = alwaysRaw || smime != null || dkim != null;
    this.renderer = renderer;
    this.smime = smime;
    this.dkim = dkim;
  }

  /**
   * What SES would refuse in {@code email} beyond what {@code Capabilities} checks, each line naming
   * the provider and the feature; empty when it can be sent.
   */
  public List<String> problems(Email email) {
    List<String> problems = new ArrayList<>();
    String prefix = "provider " + provider + ": ";
    int count = email.tags().size() + email.metadata().size();
    if (count > MAX_MESSAGE_TAGS) {
      problems.add(prefix + "tags and metadata together become at most " + MAX_MESSAGE_TAGS
          + " SES message tags, this message has " + count);
    }
    Map<String, String> seen = new LinkedHashMap<>();
    for (String tag : email.tags()) {
      claim(seen, sanitize(tag), "tag '" + tag + "'", prefix, problems);
    }
    for (String key : email.metadata().keySet()) {
      claim(seen, sanitize(key), "metadata key '" + key + "'", prefix, problems);
    }
    return problems;
  }

  private static void claim(Map<String, String> seen, String name, String what, String prefix, List<String> problems) {
    String earlier = seen.putIfAbsent(name, what);
    if (earlier != null) {
      problems.add(prefix + earlier + " and " + what + " both become the SES message tag '" + name
          + "' (tags and metadata)");
    }
  }

  /** Whether {@code email} goes as {@code Raw} MIME rather than {@code Simple} content. */
  public boolean usesRaw(Email email) {
    return alwaysRaw || !email.attachments().isEmpty() || email.headers().size() > MAX_SIMPLE_HEADERS;
  }

  /**
   * The {@code SendEmail} request for {@code email}.
   *
   * @throws io.postline.mail.mime.SigningException if the message cannot be signed or encrypted
   * @throws io.postline.mail.mime.CertificateLookupException if the S/MIME certificate lookup threw
   */
  public SendEmailRequest request(Email email) {
    SendEmailRequest.Builder request = SendEmailRequest.builder()
        .fromEmailAddress(encoded(email.from()))
        .destination(Destination.builder()
            .toAddresses(email.to().stream().map(SesRequests::encoded).toList())
            .ccAddresses(email.cc().stream().map(SesRequests::encoded).toList())
            .bccAddresses(email.bcc().stream().map(SesRequests::encoded).toList())
            .build());
    if (usesRaw(email)) {
      request.content(EmailContent.builder()
          .raw(RawMessage.builder().data(SdkBytes.fromByteArray(raw(email))).build())
          .build());
    } else {
      if (!email.replyTo().isEmpty()) {
        request.replyToAddresses(email.replyTo().stream().map(SesRequests::encoded).toList());
      }
      Body.Builder body = Body.builder();
      email.text().filter(t -> !t.isEmpty()).ifPresent(t -> body.text(utf8(t)));
      email.html().filter(h -> !h.isEmpty()).ifPresent(h -> body.html(utf8(h)));
      Message.Builder message = Message.builder()
          .subject(utf8(email.subject().orElse("")))
          .body(body.build());
      if (!email.headers().isEmpty()) {
        message.headers(email.headers().entrySet().stream()
            .map(h -> MessageHeader.builder().name(h.getKey()).value(h.getValue()).build())
            .toList());
      }
      request.content(EmailContent.builder().simple(message.build()).build());
    }
    List<MessageTag> tags = tags(email);
    if (!tags.isEmpty()) {
      request.emailTags(tags);
    }
    if (configurationSet != null) {
      request.configurationSetName(configurationSet);
    }
    return request.build();
  }

  private byte[] raw(Email email) {
    return MimeSigning.apply(renderer.toEml(email), email.recipients(), smime, dkim);
  }

  /** The email's tags and metadata as SES message tags, sanitized. */
  public static List<MessageTag> tags(Email email) {
    List<MessageTag> tags = new ArrayList<>();
    for (String tag : email.tags()) {
      tags.add(MessageTag.builder().name(sanitize(tag)).value("true").build());
    }
    for (Map.Entry<String, String> e : email.metadata().entrySet()) {
      tags.add(MessageTag.builder().name(sanitize(e.getKey())).value(sanitize(e.getValue())).build());
    }
    return tags;
  }

  /**
   * Text as SES allows it in a message tag: ASCII letters, digits, {@code _} and {@code -}, every
   * other character (each UTF-16 code unit) replaced by {@code _}, at most 256 characters, never
   * empty.
   */
  public static String sanitize(String text) {
    StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_TAG_TEXT));
    for (int i = 0; i < text.length() && out.length() < MAX_TAG_TEXT; i++) {
      char c = text.charAt(i);
      boolean allowed = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-';
      out.append(allowed ? c : '_');
    }
    return out.length() == 0 ? "_" : out.toString();
  }

  /**
   * Splits an email with more than {@code max} recipients into emails of at most {@code max}
   * each, recipients in order (to, then cc, then bcc), everything else the same.
   */
  public static List<Email> split(Email email, int max) {
    List<Address> all = email.recipients();
    if (all.size() <= max) {
      return List.of(email);
    }
    int toCount = email.to().size();
    int ccCount = email.cc().size();
    List<Email> parts = new ArrayList<>();
    for (int start = 0; start < all.size(); start += max) {
      int end = Math.min(all.size(), start + max);
      List<Address> to = new ArrayList<>();
      List<Address> cc = new ArrayList<>();
      List<Address> bcc = new ArrayList<>();
      for (int i = start; i < end; i++) {
        (i < toCount ? to : i < toCount + ccCount ? cc : bcc).add(all.get(i));
      }
      parts.add(email.toBuilder().clearRecipients().to(to).cc(cc).bcc(bcc).build());
    }
    return parts;
  }

  /** {@code Name <ascii@address>}, the name RFC 2047 encoded when it is not plain ASCII. */
  static String encoded(Address a) {
    if (a.name().isEmpty()) {
      return a.asciiEmail();
    }
    try {
      return new InternetAddress(a.asciiEmail(), a.name().get(), UTF_8).toString();
    } catch (UnsupportedEncodingException e) {
      throw new IllegalStateException("UTF-8 is always supported", e);
    }
  }

  private static Content utf8(String data) {
    return Content.builder().data(data).charset(StandardCharsets.UTF_8.name()).build();
  }
}
