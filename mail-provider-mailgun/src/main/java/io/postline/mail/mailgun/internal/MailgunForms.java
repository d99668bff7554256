package io.postline.mail.mailgun.internal;

import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Maps emails to Mailgun {@code POST /v3/{domain}/messages} forms and plans how a batch is split
 * into requests.
 *
 * <p>One email is one request: {@code from}, one {@code to}/{@code cc}/{@code bcc} field per
 * address, {@code subject}, {@code text}, {@code html}, {@code h:Reply-To} and {@code h:} custom
 * headers, {@code o:tag} per tag (at most 3), {@code v:} per metadata entry,
 * {@code o:deliverytime} in RFC 2822 form, then {@code attachment} and {@code inline} files.
 *
 * <p>A batch uses Mailgun's batch sending: emails with exactly one To recipient (no cc or bcc)
 * that share sender, reply-to, headers, tags, metadata keys, send time, attachments and kinds of
 * body go into one request of at most {@value #MAX_RECIPIENTS} {@code to} fields with
 * {@code recipient-variables}, so that each recipient gets a message of their own. A subject or
 * body that differs between them is sent as {@code %recipient.postline_subject%} (or
 * {@code _text}, {@code _html}) and carried in the recipient's variables; a metadata value that
 * differs (Postline's mail id, one per message) is sent as {@code v:key=%recipient.v:key%} with the
 * value in the recipient's variables under {@code v:key}, so that each message's webhooks echo its
 * own value in their user variables. Every other email is sent on its own.
 */
public final class MailgunForms {
  /** Mailgun's limit of recipients per message (and of batch recipients per request). */
  public static final int MAX_RECIPIENTS = 1000;
  /** Mailgun's limit of {@code o:tag} values per message. */
  public static final int MAX_TAGS = 3;
  /** How far ahead {@code o:deliverytime} may be. */
  public static final Duration MAX_SCHEDULE_AHEAD = Duration.ofDays(3);
  static final String SUBJECT_VAR = "postline_subject";
  static final String TEXT_VAR = "postline_text";
  static final String HTML_VAR = "postline_html";
  private static final int MAX_TAG_LENGTH = 128;
  private static final int MAX_VARIABLES_BYTES = 4096;
  /** Keeps one batch request well under Mailgun's 25 MB message limit. */
  private static final long MAX_REQUEST_BYTES = 20_000_000;
  private static final DateTimeFormatter RFC_2822 =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss Z", Locale.US).withZone(ZoneOffset.UTC);

  private final String provider;
  private final boolean testMode;

  /**
   * Creates a mapper.
   *
   * @param provider the provider's name, for problem messages
   * @param testMode whether to send {@code o:testmode=yes} (Mailgun accepts but does not deliver)
   */
  public MailgunForms(String provider, boolean testMode) {
    this.provider = provider;
    this.testMode = testMode;
  }

  /**
   * What Mailgun would refuse in {@code email} beyond what {@code Capabilities} checks, each line
   * naming the provider and the feature; empty when it can be sent.
   */
  public List<String> problems(Email email, Instant now) {
    List<String> problems = new ArrayList<>();
    String prefix = "provider " + provider + ": ";
    if (email.to().isEmpty()) {
      problems.add(prefix + "Mailgun needs at least one To recipient (cc or bcc alone is refused)");
    }
    for (String tag : email.tags()) {
      if (tag.length() > MAX_TAG_LENGTH || !tag.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
        problems.add(prefix + "tags (Mailgun o:tag) must be printable ASCII of at most " + MAX_TAG_LENGTH
            + " characters");
      }
    }
    long variables = 0;
    for (Map.Entry<String, String> e : email.metadata().entrySet()) {
      variables += utf8(e.getKey()) + utf8(e.getValue());
    }
    if (variables > MAX_VARIABLES_BYTES) {
      problems.add(prefix + "metadata (Mailgun v: variables) is at most " + MAX_VARIABLES_BYTES
          + " bytes, this message has " + variables);
    }
    email.sendAt().ifPresent(at -> {
      if (at.isAfter(now.plus(MAX_SCHEDULE_AHEAD))) {
        problems.add(prefix + "scheduling reaches at most " + MAX_SCHEDULE_AHEAD.toDays()
            + " days ahead (Mailgun o:deliverytime), sendAt is " + Duration.between(now, at).toHours()
            + " hours ahead; let the queue hold it");
      }
    });
    return problems;
  }

  /** The form for one email. */
  public Multipart single(Email email, Instant now) {
    Multipart form = new Multipart();
    form.field("from", format(email.from()));
    email.to().forEach(a -> form.field("to", format(a)));
    email.cc().forEach(a -> form.field("cc", format(a)));
    email.bcc().forEach(a -> form.field("bcc", format(a)));
    form.field("subject", email.subject().orElse(""));
    email.text().filter(t -> !t.isEmpty()).ifPresent(t -> form.field("text", t));
    email.html().filter(h -> !h.isEmpty()).ifPresent(h -> form.field("html", h));
    common(form, email, now);
    return form;
  }

  /** The form for a planned chunk of {@code emails}. */
  public Multipart build(Chunk chunk, List<Email> emails, Instant now) {
    if (chunk.indices().size() == 1) {
      return single(emails.get(chunk.indices().get(0)), now);
    }
    List<Email> members = chunk.indices().stream().map(emails::get).toList();
    Email first = members.get(0);
    boolean sameSubject = members.stream().allMatch(e -> e.subject().equals(first.subject()));
    boolean sameText = members.stream().allMatch(e -> e.text().equals(first.text()));
    boolean sameHtml = members.stream().allMatch(e -> e.html().equals(first.html()));
    Set<String> varying = new LinkedHashSet<>();
    first.metadata().forEach((key, value) -> {
      if (!members.stream().allMatch(e -> value.equals(e.metadata().get(key)))) {
        varying.add(key);
      }
    });
    Multipart form = new Multipart();
    form.field("from", format(first.from()));
    Map<String, String> variables = new LinkedHashMap<>();
    StringBuilder json = new StringBuilder("{");
    for (Email e : members) {
      Address to = e.to().get(0);
      form.field("to", format(to));
      variables.clear();
      if (!sameSubject) {
        variables.put(SUBJECT_VAR, e.subject().orElse(""));
      }
      if (!sameText) {
        variables.put(TEXT_VAR, e.text().orElse(""));
      }
      if (!sameHtml) {
        variables.put(HTML_VAR, e.html().orElse(""));
      }
      for (String key : varying) {
        variables.put("v:" + key, e.metadata().get(key));
      }
      if (json.length() > 1) {
        json.append(',');
      }
      json.append(Json.quote(to.asciiEmail())).append(':').append(Json.object(variables));
    }
    json.append('}');
    form.field("subject", sameSubject ? first.subject().orElse("") : "%recipient." + SUBJECT_VAR + "%");
    if (first.text().filter(t -> !t.isEmpty()).isPresent()) {
      form.field("text", sameText ? first.text().orElseThrow() : "%recipient." + TEXT_VAR + "%");
    }
    if (first.html().filter(h -> !h.isEmpty()).isPresent()) {
      form.field("html", sameHtml ? first.html().orElseThrow() : "%recipient." + HTML_VAR + "%");
    }
    form.field("recipient-variables", json.toString());
    common(form, first, varying, now);
    return form;
  }

  private void common(Multipart form, Email email, Instant now) {
    common(form, email, Set.of(), now);
  }

  /** Fields every form has; metadata keys in {@code perRecipient} refer to the recipient's variables. */
  private void common(Multipart form, Email email, Set<String> perRecipient, Instant now) {
    if (!email.replyTo().isEmpty()) {
      form.field("h:Reply-To", String.join(", ", email.replyTo().stream().map(MailgunForms::format).toList()));
    }
    email.headers().forEach((name, value) -> form.field("h:" + name, value));
    email.tags().forEach(tag -> form.field("o:tag", tag));
    email.metadata().forEach((key, value) -> form.field("v:" + key,
        perRecipient.contains(key) ? "%recipient.v:" + key + "%" : value));
    email.sendAt().filter(at -> at.isAfter(now)).ifPresent(at -> form.field("o:deliverytime", RFC_2822.format(at)));
    if (testMode) {
      form.field("o:testmode", "yes");
    }
    for (Attachment a : email.attachments()) {
      if (a.isInline()) {
        // Mailgun makes an inline file's name its Content-ID: name it after the content id.
        form.file("inline", a.contentId().orElseThrow(), a.contentType(), a.content());
      } else {
        form.file("attachment", a.fileName(), a.contentType(), a.content());
      }
    }
  }

  /**
   * Splits a batch into requests: each email appears in exactly one chunk, in order within it; a
   * chunk never exceeds {@value #MAX_RECIPIENTS} recipients nor names one address twice.
   */
  public List<Chunk> plan(List<Email> emails) {
    Map<GroupKey, List<Integer>> groups = new LinkedHashMap<>();
    List<Chunk> chunks = new ArrayList<>();
    for (int i = 0; i < emails.size(); i++) {
      Email e = emails.get(i);
      if (batchable(e)) {
        groups.computeIfAbsent(GroupKey.of(e), k -> new ArrayList<>()).add(i);
      } else {
        chunks.add(new Chunk(List.of(i)));
      }
    }
    for (List<Integer> group : groups.values()) {
      List<Integer> current = new ArrayList<>();
      Set<String> addresses = new HashSet<>();
      long bytes = 0;
      for (int i : group) {
        Email e = emails.get(i);
        String address = e.to().get(0).asciiEmail().toLowerCase(Locale.ROOT);
        long size = 256 + utf8(e.subject().orElse("")) + 2L * (utf8(e.text().orElse("")) + utf8(e.html().orElse("")));
        if (!current.isEmpty() && (current.size() == MAX_RECIPIENTS || addresses.contains(address)
            || bytes + size > MAX_REQUEST_BYTES)) {
          chunks.add(new Chunk(current));
          current = new ArrayList<>();
          addresses.clear();
          bytes = 0;
        }
        current.add(i);
        addresses.add(address);
        bytes += size;
      }
      if (!current.isEmpty()) {
        chunks.add(new Chunk(current));
      }
    }
    return chunks;
  }

  private static boolean batchable(Email e) {
    return e.to().size() == 1 && e.cc().isEmpty() && e.bcc().isEmpty()
        && !e.subject().orElse("").contains("%recipient")
        && !e.text().orElse("").contains("%recipient")
        && !e.html().orElse("").contains("%recipient");
  }

  /** An address as Mailgun takes it: {@code "Name" <ascii@address>}, the name quoted when needed. */
  static String format(Address a) {
    String email = a.asciiEmail();
    if (a.name().isEmpty()) {
      return email;
    }
    String name = a.name().get();
    boolean plain = name.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == ' ' || c >= 0x80
        || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0);
    String shown = plain ? name : "\"" + name.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    return shown + " <" + email + ">";
  }

  private static long utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  /**
   * One planned request.
   *
   * @param indices the positions, in the batch, of the emails it carries, in order
   */
  public record Chunk(List<Integer> indices) {
    /** Copies the indices. */
    public Chunk {
      indices = List.copyOf(indices);
    }
  }

  /** What emails must share to travel in one batch request. */
  private record GroupKey(Address from, List<Address> replyTo, Map<String, String> headers, List<String> tags,
      Set<String> metadataKeys, Object sendAt, List<Attachment> attachments, boolean text, boolean html) {
    static GroupKey of(Email e) {
      return new GroupKey(e.from(), e.replyTo(), e.headers(), List.copyOf(e.tags()), e.metadata().keySet(),
          e.sendAt().map(Object.class::cast).orElse(""), e.attachments(),
          e.text().filter(t -> !t.isEmpty()).isPresent(), e.html().filter(h -> !h.isEmpty()).isPresent());
    }
  }
}
