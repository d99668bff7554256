package io.postline.mail.sendgrid.internal;

import com.sendgrid.helpers.mail.objects.Attachments;
import com.sendgrid.helpers.mail.objects.Content;
import com.sendgrid.helpers.mail.objects.MailSettings;
import com.sendgrid.helpers.mail.objects.Personalization;
import com.sendgrid.helpers.mail.objects.Setting;
import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Maps emails to SendGrid v3 {@code /mail/send} request bodies and plans how a batch is split
 * into requests.
 *
 * <p>One email is one request: a single personalization with its to, cc and bcc, and the subject,
 * headers, {@code custom_args} and {@code send_at} at the top level. A batch groups emails that
 * share a sender, reply-to, attachments, categories and kinds of body into requests of at most
 * {@value #MAX_RECIPIENTS} recipients, one personalization per email carrying its own subject,
 * headers, custom args and send time. Emails of a group that share their bodies are sent with
 * that content as it is; emails whose bodies differ carry them as per-personalization
 * substitutions of {@link #TEXT_KEY} and {@link #HTML_KEY}, within the stricter of SendGrid's
 * documented substitution limits: at most {@value #MAX_SUBSTITUTION_BYTES} bytes per
 * personalization and {@value #MAX_REQUEST_SUBSTITUTION_BYTES} bytes per request (tags and values,
 * UTF-8). An email whose bodies are too large for a substitution is sent in a request of its own.
 */
public final class SendGridRequests {
  /** SendGrid's limit of recipients (to + cc + bcc, over all personalizations) per request. */
  public static final int MAX_RECIPIENTS = 1000;
  /** SendGrid's limit of categories per message. */
  public static final int MAX_CATEGORIES = 10;
  /** How far ahead {@code send_at} may be. */
  public static final Duration MAX_SCHEDULE_AHEAD = Duration.ofHours(72);
  /** Substitution tag standing for the text body in a batch whose bodies differ. */
  static final String TEXT_KEY = "%%postline:text%%";
  /** Substitution tag standing for the HTML body in a batch whose bodies differ. */
  static final String HTML_KEY = "%%postline:html%%";
  /** SendGrid's limit of substitution bytes in one personalization. */
  static final int MAX_SUBSTITUTION_BYTES = 10_000;
  /** SendGrid's limit of substitution bytes over all personalizations of one request. */
  static final int MAX_REQUEST_SUBSTITUTION_BYTES = 50_000;
  private static final int MAX_CUSTOM_ARGS_BYTES = 10_000;
  private static final int MAX_CATEGORY_LENGTH = 255;
  /** Keeps one request well under SendGrid's 30 MB limit. */
  private static final long MAX_REQUEST_BYTES = 20_000_000;
  /** Headers SendGrid refuses in {@code headers} (on top of those Postline reserves itself). */
  private static final Set<String> SENDGRID_RESERVED_HEADERS =
      Set.of("x-sg-id", "x-sg-eid", "received", "dkim-signature");

  private final String provider;
  private final boolean sandbox;

  /**
   * Creates a mapper.
   *
   * @param provider the provider's name, for problem messages
   * @param sandbox whether to set {@code mail_settings.sandbox_mode} (SendGrid validates but does
   *     not deliver)
   */
  public SendGridRequests(String provider, boolean sandbox) {
    this.provider = provider;
    this.sandbox = sandbox;
  }

  /**
   * What SendGrid would refuse in {@code email} beyond what {@code Capabilities} checks, each line
   * naming the provider and the feature; empty when it can be sent.
   */
  public List<String> problems(Email email, Instant now) {
    List<String> problems = new ArrayList<>();
    String prefix = "provider " + provider + ": ";
    if (email.to().isEmpty()) {
      problems.add(prefix + "SendGrid needs at least one To recipient (cc or bcc alone is refused)");
    }
    Set<String> seen = new HashSet<>();
    for (Address a : email.recipients()) {
      if (!seen.add(a.asciiEmail().toLowerCase(Locale.ROOT))) {
        problems.add(prefix + "recipient " + a.masked()
            + " appears twice in to/cc/bcc, which SendGrid refuses");
      }
    }
    for (String tag : email.tags()) {
      if (tag.length() > MAX_CATEGORY_LENGTH) {
        problems.add(prefix + "tags (SendGrid categories) are at most " + MAX_CATEGORY_LENGTH
            + " characters, one has " + tag.length());
      }
    }
    long argBytes = 0;
    for (Map.Entry<String, String> e : email.metadata().entrySet()) {
      argBytes += utf8(e.getKey()) + utf8(e.getValue());
    }
    if (argBytes > MAX_CUSTOM_ARGS_BYTES) {
      problems.add(prefix + "metadata (SendGrid custom_args) is at most " + MAX_CUSTOM_ARGS_BYTES
          + " bytes, this message has " + argBytes);
    }
    for (String header : email.headers().keySet()) {
      if (SENDGRID_RESERVED_HEADERS.contains(header.toLowerCase(Locale.ROOT))) {
        problems.add(prefix + "header " + header + " is reserved by SendGrid");
      }
    }
    email.sendAt().ifPresent(at -> {
      if (at.isAfter(now.plus(MAX_SCHEDULE_AHEAD))) {
        problems.add(prefix + "scheduling reaches at most " + MAX_SCHEDULE_AHEAD.toHours()
            + " hours ahead (SendGrid send_at), sendAt is " + Duration.between(now, at).toHours()
            + " hours ahead; let the queue hold it");
      }
    });
    return problems;
  }

  /** The request body for one email. */
  public String single(Email email, Instant now) throws IOException {
    return build(List.of(email), false, now);
  }

  /** The request body for a planned chunk of {@code emails}. */
  public String build(Chunk chunk, List<Email> emails, Instant now) throws IOException {
    List<Email> members = new ArrayList<>(chunk.indices().size());
    for (int i : chunk.indices()) {
      members.add(emails.get(i));
    }
    return build(members, chunk.substituted(), now);
  }

  /**
   * Splits a batch into requests: each email appears in exactly one chunk; a chunk never exceeds
   * {@value #MAX_RECIPIENTS} recipients, nor {@value #MAX_REQUEST_SUBSTITUTION_BYTES} bytes of
   * substitutions.
   */
  public List<Chunk> plan(List<Email> emails) {
    Map<GroupKey, List<Integer>> groups = new LinkedHashMap<>();
    for (int i = 0; i < emails.size(); i++) {
      groups.computeIfAbsent(GroupKey.of(emails.get(i)), k -> new ArrayList<>()).add(i);
    }
    List<Chunk> chunks = new ArrayList<>();
    for (List<Integer> group : groups.values()) {
      Map<List<String>, List<Integer>> byContent = new LinkedHashMap<>();
      for (int i : group) {
        Email e = emails.get(i);
        byContent.computeIfAbsent(List.of(e.text().orElse(""), e.html().orElse("")), k -> new ArrayList<>()).add(i);
      }
      List<Integer> substitutable = new ArrayList<>();
      for (List<Integer> same : byContent.values()) {
        if (same.size() > 1) {
          chunks.addAll(chunk(same, emails, false));
        } else if (substitutable(emails.get(same.get(0)))) {
          substitutable.add(same.get(0));
        } else {
          chunks.add(new Chunk(same, false));
        }
      }
      if (substitutable.size() == 1) {
        chunks.add(new Chunk(substitutable, false));
      } else if (!substitutable.isEmpty()) {
        chunks.addAll(chunk(substitutable, emails, true));
      }
    }
    return chunks;
  }

  private static List<Chunk> chunk(List<Integer> indices, List<Email> emails, boolean substituted) {
    List<Chunk> chunks = new ArrayList<>();
    List<Integer> current = new ArrayList<>();
    int recipients = 0;
    long bytes = 0;
    long substitutions = 0;
    for (int i : indices) {
      Email e = emails.get(i);
      int r = e.recipients().size();
      long b = personalizationBytes(e, substituted);
      long s = substituted ? substitutionBytes(e) : 0;
      if (!current.isEmpty() && (recipients + r > MAX_RECIPIENTS || bytes + b > MAX_REQUEST_BYTES
          || substitutions + s > MAX_REQUEST_SUBSTITUTION_BYTES)) {
        chunks.add(new Chunk(current, substituted));
        current = new ArrayList<>();
        recipients = 0;
        bytes = 0;
        substitutions = 0;
      }
      current.add(i);
      recipients += r;
      bytes += b;
      substitutions += s;
    }
    if (!current.isEmpty()) {
      chunks.add(new Chunk(current, substituted));
    }
    return chunks;
  }

  private static long personalizationBytes(Email e, boolean substituted) {
    long bytes = 256 + e.recipients().size() * 80L + utf8(e.subject().orElse(""));
    for (Map.Entry<String, String> h : e.headers().entrySet()) {
      bytes += utf8(h.getKey()) + utf8(h.getValue()) + 8;
    }
    for (Map.Entry<String, String> m : e.metadata().entrySet()) {
      bytes += utf8(m.getKey()) + utf8(m.getValue()) + 8;
    }
    if (substituted) {
      bytes += 2 * (utf8(e.text().orElse("")) + utf8(e.html().orElse("")));
    }
    return bytes;
  }

  private static boolean substitutable(Email e) {
    return substitutionBytes(e) <= MAX_SUBSTITUTION_BYTES
        && !e.text().orElse("").contains("%%postline:") && !e.html().orElse("").contains("%%postline:")
        && !e.subject().orElse("").contains("%%postline:");
  }

  /** The bytes of the substitutions {@link #build} writes for {@code e}: tags and values, UTF-8. */
  private static long substitutionBytes(Email e) {
    long size = 0;
    String text = e.text().orElse("");
    String html = e.html().orElse("");
    if (!text.isEmpty()) {
      size += utf8(TEXT_KEY) + utf8(text);
    }
    if (!html.isEmpty()) {
      size += utf8(HTML_KEY) + utf8(html);
    }
    return size;
  }

  private String build(List<Email> emails, boolean substituted, Instant now) throws IOException {
    Email first = emails.get(0);
    boolean single = emails.size() == 1;
    PostlineMail mail = new PostlineMail();
    mail.setFrom(sendGridEmail(first.from()));
    if (first.replyTo().size() == 1) {
      mail.setReplyTo(sendGridEmail(first.replyTo().get(0)));
    } else {
      first.replyTo().forEach(a -> mail.addReplyToList(sendGridEmail(a)));
    }
    String text = first.text().filter(t -> !t.isEmpty()).orElse(null);
    String html = first.html().filter(h -> !h.isEmpty()).orElse(null);
    if (text != null) {
      mail.addContent(new Content("text/plain", substituted ? TEXT_KEY : text));
    }
    if (html != null) {
      mail.addContent(new Content("text/html", substituted ? HTML_KEY : html));
    }
    for (Attachment a : first.attachments()) {
      Attachments at = new Attachments();
      at.setContent(Base64.getEncoder().encodeToString(a.content()));
      at.setType(a.contentType());
      at.setFilename(a.fileName());
      at.setDisposition(a.isInline() ? "inline" : "attachment");
      a.contentId().ifPresent(at::setContentId);
      mail.addAttachments(at);
    }
    first.tags().forEach(mail::addCategory);
    if (single) {
      mail.setSubject(first.subject().orElse(""));
      first.headers().forEach(mail::addHeader);
      first.metadata().forEach(mail::addCustomArg);
      sendAt(first, now).ifPresent(mail::setSendAt);
    }
    for (Email e : emails) {
      Personalization p = new Personalization();
      e.to().forEach(a -> p.addTo(sendGridEmail(a)));
      e.cc().forEach(a -> p.addCc(sendGridEmail(a)));
      e.bcc().forEach(a -> p.addBcc(sendGridEmail(a)));
      if (!single) {
        p.setSubject(e.subject().orElse(""));
        e.headers().forEach(p::addHeader);
        e.metadata().forEach(p::addCustomArg);
        sendAt(e, now).ifPresent(p::setSendAt);
      }
      if (substituted) {
        e.text().filter(t -> !t.isEmpty()).ifPresent(t -> p.addSubstitution(TEXT_KEY, t));
        e.html().filter(h -> !h.isEmpty()).ifPresent(h -> p.addSubstitution(HTML_KEY, h));
      }
      mail.addPersonalization(p);
    }
    if (sandbox) {
      Setting on = new Setting();
      on.setEnable(true);
      MailSettings settings = new MailSettings();
      settings.setSandboxMode(on);
      mail.setMailSettings(settings);
    }
    return mail.build();
  }

  private static java.util.Optional<Long> sendAt(Email e, Instant now) {
    return e.sendAt().filter(at -> at.isAfter(now)).map(Instant::getEpochSecond);
  }

  private static com.sendgrid.helpers.mail.objects.Email sendGridEmail(Address a) {
    com.sendgrid.helpers.mail.objects.Email e = new com.sendgrid.helpers.mail.objects.Email(a.asciiEmail());
    a.name().ifPresent(e::setName);
    return e;
  }

  private static long utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  /**
   * One planned request.
   *
   * @param indices the positions, in the batch, of the emails it carries, in order
   * @param substituted whether the bodies travel as per-personalization substitutions
   */
  public record Chunk(List<Integer> indices, boolean substituted) {
    /** Copies the indices. */
    public Chunk {
      indices = List.copyOf(indices);
    }
  }

  /** What emails must share to travel in one request. */
  private record GroupKey(Address from, List<Address> replyTo, List<Attachment> attachments,
      List<String> tags, boolean text, boolean html) {
    static GroupKey of(Email e) {
      return new GroupKey(e.from(), e.replyTo(), e.attachments(), List.copyOf(e.tags()),
          e.text().filter(t -> !t.isEmpty()).isPresent(), e.html().filter(h -> !h.isEmpty()).isPresent());
    }
  }
}
