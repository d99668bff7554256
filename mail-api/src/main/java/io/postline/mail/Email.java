package io.postline.mail;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One email message: sender, recipients, content (a subject with a text and/or HTML body, or a
 * template to render), attachments and the delivery hints Postline acts on (priority, schedule,
 * idempotency key, tags, metadata, caller).
 *
 * <p>Immutable and valid by construction: {@link Builder#build()} checks its structure and throws
 * an {@link InvalidEmailException} that lists every problem at once. {@link #toString()} never
 * shows bodies, the subject or full addresses.
 *
 * <p>Two checks need more than the email itself and happen when it is sent or enqueued: an email
 * needs at least one recipient to be sent on its own (a group email for {@code sendBatch} or
 * {@code enqueueBatch} has none: each recipient gets its own copy, see {@link #forRecipient}), and
 * its {@code sendAt} must lie within {@link #MAX_SCHEDULE_BEHIND} and {@link #MAX_SCHEDULE_AHEAD}
 * of the sending {@code Mailer}'s clock.
 *
 * <pre>{@code
 * Email email = Email.builder()
 *     .from("shop@example.org").to("ann@example.org")
 *     .subject("Your order").text("It ships today.")
 *     .build();
 * }</pre>
 */
public final class Email {
  static {
    // The queue codec's way to rebuild an email it wrote and authenticated, without checking it
    // again (see TrustedEmails): handed over once, from here, so that nothing else can install one.
    io.postline.mail.internal.TrustedEmails.install(() -> {
      Builder b = new Builder();
      b.trusted = true;
      return b;
    });
  }

  /** How far ahead {@code sendAt} may be; later is taken as a mistake. */
  public static final Duration MAX_SCHEDULE_AHEAD = Duration.ofDays(366);
  /** How far in the past {@code sendAt} may be; earlier is taken as a mistake. */
  public static final Duration MAX_SCHEDULE_BEHIND = Duration.ofDays(30);

  private static final int MAX_HEADER_VALUE = 998;
  private static final String SUBJECT_MISSING = "subject is missing";
  private static final int MAX_SHORT_TEXT = 256;
  private static final Pattern HEADER_NAME = Pattern.compile("[!-9;-~]{1,76}");
  private static final Pattern METADATA_KEY = Pattern.compile("[A-Za-z0-9_.-]{1,128}");
  private static final Pattern TEMPLATE_NAME = Pattern.compile("[A-Za-z0-9_-]{1,100}(/[A-Za-z0-9_-]{1,100}){0,10}");
  /** Headers Postline writes itself; setting them by hand would clash or smuggle recipients. */
  private static final Set<String> RESERVED_HEADERS = Set.of(
      "from", "to", "cc", "bcc", "reply-to", "subject", "date", "message-id", "mime-version",
      "content-type", "content-transfer-encoding", "content-disposition", "content-id",
      "sender", "return-path", "received");

  /**
   * A template to render instead of a literal subject and body.
   *
   * @param name the template's name, such as {@code welcome} or {@code billing/invoice}
   * @param model the values the template refers to
   */
  public record Template(String name, Map<String, Object> model) {
    /** Copies the model. */
    public Template {
      Objects.requireNonNull(name, "name");
      model = Collections.unmodifiableMap(new LinkedHashMap<>(model));
    }

    /** Names the template and the model's keys, never its values. */
    @Override
    public String toString() {
      return "Template[" + name + ", keys=" + model.keySet() + "]";
    }
  }

  private final Address from;
  private final List<Address> to;
  private final List<Address> cc;
  private final List<Address> bcc;
  private final List<Address> replyTo;
  private final @Nullable String subject;
  private final @Nullable String text;
  private final @Nullable String html;
  private final List<Attachment> attachments;
  private final Map<String, String> headers;
  private final Set<String> tags;
  private final Map<String, String> metadata;
  private final Priority priority;
  private final @Nullable Instant sendAt;
  private final @Nullable String idempotencyKey;
  private final @Nullable Template template;
  private final @Nullable Locale locale;
  /** Held as an Optional: it is asked for on every send and by every event. */
  private final Optional<String> caller;
  /** Derived once: asked for on every send, by routing, capability checks and providers. */
  private final List<Address> recipients;
  /** Computed on first use; 0 means not yet (a benign race: every thread computes the same). */
  private long approximateSize;

  private Email(Builder b) {
    this.from = Objects.requireNonNull(b.from);
    this.to = List.copyOf(b.to);
    this.cc = List.copyOf(b.cc);
    this.bcc = List.copyOf(b.bcc);
    this.replyTo = List.copyOf(b.replyTo);
    this.subject = b.subject;
    this.text = b.text;
    this.html = b.html;
    this.attachments = List.copyOf(b.attachments);
    this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(b.headers));
    this.tags = Collections.unmodifiableSet(new LinkedHashSet<>(b.tags));
    this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(b.metadata));
    this.priority = b.priority;
    this.sendAt = b.sendAt;
    this.idempotencyKey = b.idempotencyKey;
    this.template = b.template;
    this.locale = b.locale;
    this.caller = Optional.ofNullable(b.caller);
    List<Address> all = new ArrayList<>(to.size() + cc.size() + bcc.size());
    all.addAll(to);
    all.addAll(cc);
    all.addAll(bcc);
    this.recipients = Collections.unmodifiableList(all);
  }

  /** Adds the problems of a literal subject and bodies to {@code all}. */
  private static void contentProblems(List<String> all, @Nullable String subject, @Nullable String text,
      @Nullable String html) {
    boolean body = text != null && !text.isEmpty() || html != null && !html.isEmpty();
    if (!body) {
      all.add("no content: set text, html or a template");
    }
    // A lone surrogate cannot be encoded: it would go out as '?', silently changing the text.
    if (text != null && Texts.hasBrokenSurrogate(text)) {
      all.add("text contains an unpaired surrogate");
    }
    if (html != null && Texts.hasBrokenSurrogate(html)) {
      all.add("html contains an unpaired surrogate");
    }
    if (subject == null) {
      all.add(SUBJECT_MISSING);
    } else if (Texts.hasLineBreak(subject)) {
      all.add("subject contains a line break");
    } else if (Texts.hasControl(subject) || Texts.hasBrokenSurrogate(subject)) {
      all.add("subject contains a control character");
    } else if (subject.length() > MAX_HEADER_VALUE) {
      all.add("subject is longer than " + MAX_HEADER_VALUE + " characters");
    }
  }

  /** A copy of {@code base} with other recipients, content, template and idempotency key. */
  private Email(Email base, List<Address> to, List<Address> cc, List<Address> bcc, @Nullable String subject,
      @Nullable String text, @Nullable String html, @Nullable Template template, @Nullable String idempotencyKey) {
    this(base, to, cc, bcc, subject, text, html, template, idempotencyKey, base.metadata);
  }

  /** A copy of {@code base} with other recipients, content, template, idempotency key and metadata. */
  private Email(Email base, List<Address> to, List<Address> cc, List<Address> bcc, @Nullable String subject,
      @Nullable String text, @Nullable String html, @Nullable Template template, @Nullable String idempotencyKey,
      Map<String, String> metadata) {
    this.from = base.from;
    this.to = to;
    this.cc = cc;
    this.bcc = bcc;
    this.replyTo = base.replyTo;
    this.subject = subject;
    this.text = text;
    this.html = html;
    this.attachments = base.attachments;
    this.headers = base.headers;
    this.tags = base.tags;
    this.metadata = metadata;
    this.priority = base.priority;
    this.sendAt = base.sendAt;
    this.idempotencyKey = idempotencyKey;
    this.template = template;
    this.locale = base.locale;
    this.caller = base.caller;
    if (cc.isEmpty() && bcc.isEmpty()) {
      this.recipients = to;
    } else {
      List<Address> all = new ArrayList<>(to.size() + cc.size() + bcc.size());
      all.addAll(to);
      all.addAll(cc);
      all.addAll(bcc);
      this.recipients = Collections.unmodifiableList(all);
    }
  }

  /**
   * The copy of this group email for one recipient: {@code to} is the recipient alone (the group
   * email's own to, cc and bcc are dropped), the recipient's values are laid over the template
   * model, and the idempotency key, if any, becomes {@code key/address} so that each copy has its
   * own. Everything else is shared with this email and not checked again.
   *
   * @throws InvalidEmailException if the recipient has template values but the email has no template
   */
  public Email forRecipient(Recipient recipient) {
    Objects.requireNonNull(recipient, "recipient");
    Template perRecipient = template;
    if (template != null && !recipient.model().isEmpty()) {
      Map<String, Object> model = new LinkedHashMap<>(template.model());
      model.putAll(recipient.model());
      perRecipient = new Template(template.name(), model);
    } else if (template == null && !recipient.model().isEmpty()) {
      throw new InvalidEmailException("recipient " + recipient.address().masked()
          + " has template values but the email has no template");
    }
    String key = idempotencyKey == null ? null : idempotencyKey + "/" + recipient.address().asciiEmail();
    return new Email(this, List.of(recipient.address()), List.of(), List.of(), subject, text, html, perRecipient, key);
  }

  /**
   * This email with its template rendered: the template is replaced by the given subject and
   * bodies, which are checked as {@link Builder#build()} checks them; nothing else is checked again.
   *
   * @param text the plain-text body, or null for none
   * @param html the HTML body, or null for none
   * @throws InvalidEmailException listing what is wrong with the rendered content
   */
  public Email withContent(String subject, @Nullable String text, @Nullable String html) {
    List<String> problems = new ArrayList<>();
    contentProblems(problems, subject, text, html);
    if (!problems.isEmpty()) {
      throw new InvalidEmailException(problems);
    }
    return new Email(this, to, cc, bcc, subject, text, html, null, idempotencyKey);
  }

  /**
   * This email without the given recipients (to, cc and bcc, compared with {@link Address#equals});
   * nothing else changes or is checked again. The result may have no recipient left. A
   * {@code Mailer} uses it to leave out the recipients its suppression list names.
   *
   * @return this email itself when none of {@code dropped} is a recipient
   */
  public Email withoutRecipients(Collection<Address> dropped) {
    Objects.requireNonNull(dropped, "dropped");
    if (dropped.isEmpty() || recipients.stream().noneMatch(dropped::contains)) {
      return this;
    }
    return new Email(this, keep(to, dropped), keep(cc, dropped), keep(bcc, dropped), subject, text, html, template,
        idempotencyKey);
  }

  private static List<Address> keep(List<Address> addresses, Collection<Address> dropped) {
    return addresses.stream().filter(a -> !dropped.contains(a)).toList();
  }

  /**
   * This email with metadata {@code key} set to {@code value}, replacing an entry of that key;
   * the entry is checked as {@link Builder#metadata} checks it, nothing else is checked again.
   *
   * @throws InvalidEmailException if the key or the value is not valid metadata
   */
  public Email withMetadata(String key, String value) {
    if (value.equals(metadata.get(key))) {
      return this;
    }
    String problem = metadataProblem(key, value);
    if (problem != null) {
      throw new InvalidEmailException(List.of(problem));
    }
    Map<String, String> more = new LinkedHashMap<>(metadata);
    more.put(key, value);
    return new Email(this, to, cc, bcc, subject, text, html, template, idempotencyKey,
        Collections.unmodifiableMap(more));
  }

  /** What is wrong with a metadata entry, or null when it is valid. */
  private static @Nullable String metadataProblem(@Nullable String key, @Nullable String value) {
    if (key == null || !METADATA_KEY.matcher(key).matches()) {
      return "metadata key must be 1 to 128 letters, digits, '_', '.' or '-'";
    }
    if (value == null || Texts.hasControl(value) || Texts.hasLineBreak(value)
        || Texts.hasBrokenSurrogate(value) || value.length() > 1024) {
      return "metadata " + key + ": value must be one line of at most 1024 characters";
    }
    return null;
  }

  /** A new, empty builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding a copy of this email, to derive another from it. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.from = from;
    b.to.addAll(to);
    b.cc.addAll(cc);
    b.bcc.addAll(bcc);
    b.replyTo.addAll(replyTo);
    b.subject = subject;
    b.text = text;
    b.html = html;
    b.attachments.addAll(attachments);
    b.headers.putAll(headers);
    b.tags.addAll(tags);
    b.metadata.putAll(metadata);
    b.priority = priority;
    b.sendAt = sendAt;
    b.idempotencyKey = idempotencyKey;
    b.template = template;
    b.locale = locale;
    b.caller = caller.orElse(null);
    return b;
  }

  /** The sender. */
  public Address from() {
    return from;
  }

  /** The {@code To} recipients. */
  public List<Address> to() {
    return to;
  }

  /** The {@code Cc} recipients. */
  public List<Address> cc() {
    return cc;
  }

  /** The blind-copy recipients, never written into a header. */
  public List<Address> bcc() {
    return bcc;
  }

  /** Where replies should go. */
  public List<Address> replyTo() {
    return replyTo;
  }

  /**
   * Whether the sender, a recipient (bcc included) or a reply-to address is
   * {@linkplain Address#isInternationalized() internationalized}: such an email needs SMTPUTF8 (RFC
   * 6531) all the way, or a provider that declares it takes such addresses.
   */
  public boolean hasInternationalizedAddress() {
    return from.isInternationalized() || recipients.stream().anyMatch(Address::isInternationalized)
        || replyTo.stream().anyMatch(Address::isInternationalized);
  }

  /** Every recipient: to, then cc, then bcc. */
  public List<Address> recipients() {
    return recipients;
  }

  /** The subject; empty when the email is a template not rendered yet. */
  public Optional<String> subject() {
    return Optional.ofNullable(subject);
  }

  /** The plain-text body, if any. */
  public Optional<String> text() {
    return Optional.ofNullable(text);
  }

  /** The HTML body, if any. */
  public Optional<String> html() {
    return Optional.ofNullable(html);
  }

  /** Attachments and inline parts, in the order they were added. */
  public List<Attachment> attachments() {
    return attachments;
  }

  /** Custom headers, in the order they were added. */
  public Map<String, String> headers() {
    return headers;
  }

  /** Tags (for provider categories and routing rules), in the order they were added. */
  public Set<String> tags() {
    return tags;
  }

  /** Metadata passed to the provider (custom args, variables) and carried into events. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** The queue priority; {@link Priority#NORMAL} unless set. */
  public Priority priority() {
    return priority;
  }

  /** When to send; empty means now. */
  public Optional<Instant> sendAt() {
    return Optional.ofNullable(sendAt);
  }

  /** The key that makes a repeated submission a duplicate, if any. */
  public Optional<String> idempotencyKey() {
    return Optional.ofNullable(idempotencyKey);
  }

  /** The template to render, if the content comes from one. */
  public Optional<Template> template() {
    return Optional.ofNullable(template);
  }

  /** The locale to render the template in, if set. */
  public Optional<Locale> locale() {
    return Optional.ofNullable(locale);
  }

  /** Who asked for this email (a service name), carried into events, audit and metrics. */
  public Optional<String> caller() {
    return caller;
  }

  /**
   * The approximate size of the message once encoded as MIME, in bytes: bodies, attachments in
   * base64 and headers. Providers compare it with their size limit.
   */
  public long approximateSize() {
    long size = approximateSize;
    if (size == 0) {
      size = computeSize();
      approximateSize = size;
    }
    return size;
  }

  private long computeSize() {
    long size = 1024; // envelope headers Postline writes
    size += utf8Length(subject) + utf8Length(text) + utf8Length(html);
    for (Attachment a : attachments) {
      size += (a.size() + 2L) / 3 * 4 * 78 / 76 + 256;
    }
    for (Map.Entry<String, String> h : headers.entrySet()) {
      size += h.getKey().length() + utf8Length(h.getValue()) + 4;
    }
    size += recipients().size() * 64L;
    return size;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Email e
        && from.equals(e.from) && to.equals(e.to) && cc.equals(e.cc) && bcc.equals(e.bcc)
        && replyTo.equals(e.replyTo) && Objects.equals(subject, e.subject)
        && Objects.equals(text, e.text) && Objects.equals(html, e.html)
        && attachments.equals(e.attachments) && headers.equals(e.headers)
        && tags.equals(e.tags) && metadata.equals(e.metadata) && priority == e.priority
        && Objects.equals(sendAt, e.sendAt) && Objects.equals(idempotencyKey, e.idempotencyKey)
        && Objects.equals(template, e.template) && Objects.equals(locale, e.locale)
        && Objects.equals(caller, e.caller);
  }

  @Override
  public int hashCode() {
    return Objects.hash(from, to, cc, bcc, subject, text, html, attachments, headers, tags,
        metadata, priority, sendAt, idempotencyKey, template, locale, caller);
  }

  /** Describes the email without bodies, subject or full addresses (they may be personal data). */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("Email[from=").append(from.masked())
        .append(", to=").append(to.stream().map(Address::masked).toList());
    if (!cc.isEmpty()) {
      s.append(", cc=").append(cc.size());
    }
    if (!bcc.isEmpty()) {
      s.append(", bcc=").append(bcc.size());
    }
    if (template != null) {
      s.append(", template=").append(template.name());
    }
    if (text != null || html != null) {
      s.append(", parts=").append(text != null && html != null ? "text+html" : text != null ? "text" : "html");
    }
    if (!attachments.isEmpty()) {
      s.append(", attachments=").append(attachments.size());
    }
    if (!tags.isEmpty()) {
      s.append(", tags=").append(tags);
    }
    s.append(", priority=").append(priority);
    if (sendAt != null) {
      s.append(", sendAt=").append(sendAt);
    }
    if (caller.isPresent()) {
      s.append(", caller=").append(caller.get());
    }
    return s.append(']').toString();
  }

  private static long utf8Length(@Nullable String s) {
    if (s == null) {
      return 0;
    }
    int length = s.length();
    long n = length; // one byte a char, plus what the others need beyond one (rare: a tight loop)
    for (int i = 0; i < length; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        n += c < 0x800 || Character.isSurrogate(c) ? 1 : 2;
      }
    }
    return n;
  }

  /**
   * Builds an {@link Email}. Setters never throw for bad values: they remember the problem, and
   * {@link #build()} reports every problem at once. Methods taking lists add to what is there;
   * the other setters replace the value, and with it the problem of the value they replace.
   */
  public static final class Builder {
    /** Problems of what was added: reply-to addresses, attachments, headers, tags, metadata. */
    private final List<String> problems = new ArrayList<>();
    /** Problems of to, cc and bcc addresses; {@link #clearRecipients()} drops them. */
    private final List<String> recipientProblems = new ArrayList<>();
    /** Problems of single-valued settings, by setting: the last value set decides. */
    private final Map<String, String> settingProblems = new LinkedHashMap<>();
    /** Per address field, how many addresses were refused, to number the next one right. */
    private final Map<String, Integer> refused = new HashMap<>();
    private @Nullable Address from;
    private final List<Address> to = new ArrayList<>();
    private final List<Address> cc = new ArrayList<>();
    private final List<Address> bcc = new ArrayList<>();
    private final List<Address> replyTo = new ArrayList<>();
    private @Nullable String subject;
    private @Nullable String text;
    private @Nullable String html;
    private final List<Attachment> attachments = new ArrayList<>();
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final Set<String> tags = new LinkedHashSet<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private Priority priority = Priority.NORMAL;
    private @Nullable Instant sendAt;
    private @Nullable String idempotencyKey;
    private @Nullable Template template;
    private @Nullable Locale locale;
    private @Nullable String caller;
    private @Nullable String fromProblem;
    /**
     * Set only for the queue codec (through {@link io.postline.mail.internal.TrustedEmails}),
     * rebuilding an email it wrote and authenticated: the setters and {@link #build()} skip their
     * checks. Never set for a builder a user can reach.
     */
    private boolean trusted;

    private Builder() {}

    /** The sender, parsed like {@link Address#parse(String)}; replaces any sender set before. */
    public Builder from(@Nullable String address) {
      from = null;
      fromProblem = null;
      if (address == null) {
        fromProblem = "from: address is null";
        return this;
      }
      try {
        from = Address.parse(address);
      } catch (InvalidEmailException e) {
        fromProblem = "from: " + e.problems().get(0);
      }
      return this;
    }

    /** The sender; replaces any sender set before. */
    public Builder from(@Nullable Address address) {
      from = address;
      fromProblem = address == null ? "from: address is null" : null;
      return this;
    }

    /** Adds {@code To} recipients, each parsed like {@link Address#parse(String)}. */
    public Builder to(@Nullable String... addresses) {
      return add("to", to, addresses);
    }

    /** Adds {@code To} recipients. */
    public Builder to(@Nullable Address... addresses) {
      return add("to", to, addresses == null ? null : Arrays.asList(addresses));
    }

    /** Adds {@code To} recipients. */
    public Builder to(@Nullable Collection<Address> addresses) {
      return add("to", to, addresses);
    }

    /** Adds {@code Cc} recipients, each parsed like {@link Address#parse(String)}. */
    public Builder cc(@Nullable String... addresses) {
      return add("cc", cc, addresses);
    }

    /** Adds {@code Cc} recipients. */
    public Builder cc(@Nullable Address... addresses) {
      return add("cc", cc, addresses == null ? null : Arrays.asList(addresses));
    }

    /** Adds {@code Cc} recipients. */
    public Builder cc(@Nullable Collection<Address> addresses) {
      return add("cc", cc, addresses);
    }

    /** Adds blind-copy recipients, each parsed like {@link Address#parse(String)}. */
    public Builder bcc(@Nullable String... addresses) {
      return add("bcc", bcc, addresses);
    }

    /** Adds blind-copy recipients. */
    public Builder bcc(@Nullable Address... addresses) {
      return add("bcc", bcc, addresses == null ? null : Arrays.asList(addresses));
    }

    /** Adds blind-copy recipients. */
    public Builder bcc(@Nullable Collection<Address> addresses) {
      return add("bcc", bcc, addresses);
    }

    /** Adds reply-to addresses, each parsed like {@link Address#parse(String)}. */
    public Builder replyTo(@Nullable String... addresses) {
      return add("replyTo", replyTo, addresses);
    }

    /** Adds reply-to addresses. */
    public Builder replyTo(@Nullable Address... addresses) {
      return add("replyTo", replyTo, addresses == null ? null : Arrays.asList(addresses));
    }

    /**
     * Removes every to, cc and bcc recipient (to derive one email per recipient), with the
     * problems of the addresses removed.
     */
    public Builder clearRecipients() {
      to.clear();
      cc.clear();
      bcc.clear();
      recipientProblems.clear();
      refused.keySet().removeAll(Set.of("to", "cc", "bcc"));
      return this;
    }

    /**
     * The subject: one line, at most 998 characters (RFC 5322's line length; it is folded and
     * encoded as needed, and 998 is Postline's bound for every header text).
     */
    public Builder subject(@Nullable String subject) {
      this.subject = subject;
      setting("subject", subject == null ? "subject is null" : null);
      return this;
    }

    /** The plain-text body. */
    public Builder text(@Nullable String text) {
      this.text = text;
      setting("text", text == null ? "text is null" : null);
      return this;
    }

    /** The HTML body. */
    public Builder html(@Nullable String html) {
      this.html = html;
      setting("html", html == null ? "html is null" : null);
      return this;
    }

    /** Adds an attachment or inline part. */
    public Builder attach(@Nullable Attachment attachment) {
      if (attachment == null) {
        problems.add("attachment is null");
      } else {
        attachments.add(attachment);
      }
      return this;
    }

    /**
     * Adds a custom header. Headers Postline writes itself (From, To, Subject, Content-Type, ...)
     * cannot be set this way, and a name may appear once. The value is written as unstructured
     * text: one line of at most 998 characters, Postline's bound for every header text.
     */
    public Builder header(@Nullable String name, @Nullable String value) {
      if (trusted && name != null && value != null) {
        headers.put(name, value);
        return this;
      }
      if (name == null || value == null) {
        problems.add("header: name and value must not be null");
        return this;
      }
      if (!HEADER_NAME.matcher(name).matches()) {
        problems.add("header name is not 1 to 76 printable ASCII characters without ':' or space");
        return this;
      }
      String key = name.toLowerCase(Locale.ROOT);
      if (RESERVED_HEADERS.contains(key) || key.startsWith("resent-")) {
        problems.add("header " + name + " is set by Postline; use the builder's method for it");
        return this;
      }
      for (String existing : headers.keySet()) {
        if (existing.equalsIgnoreCase(name)) {
          problems.add("header " + name + " is set twice");
          return this;
        }
      }
      if (Texts.hasLineBreak(value)) {
        problems.add("header " + name + " value contains a line break");
      } else if (Texts.hasControl(value) || Texts.hasBrokenSurrogate(value)) {
        problems.add("header " + name + " value contains a control character");
      } else if (value.length() > MAX_HEADER_VALUE) {
        problems.add("header " + name + " value is longer than " + MAX_HEADER_VALUE + " characters");
      }
      headers.put(name, value);
      return this;
    }

    /** Adds a tag: 1 to 256 printable characters. */
    public Builder tag(@Nullable String tag) {
      if (trusted && tag != null) {
        tags.add(tag);
        return this;
      }
      String problem = shortTextProblem("tag", tag);
      if (problem != null) {
        problems.add(problem);
      } else {
        tags.add(tag);
      }
      return this;
    }

    /** Adds a metadata entry: a key of letters, digits, {@code _ . -}, and a one-line value. */
    public Builder metadata(@Nullable String key, @Nullable String value) {
      if (trusted && key != null && value != null) {
        metadata.put(key, value);
        return this;
      }
      String problem = metadataProblem(key, value);
      if (problem != null) {
        problems.add(problem);
        return this;
      }
      if (metadata.containsKey(key)) {
        problems.add("metadata " + key + " is set twice");
      }
      metadata.put(key, value);
      return this;
    }

    /** The queue priority; {@link Priority#NORMAL} by default. */
    public Builder priority(@Nullable Priority priority) {
      setting("priority", priority == null ? "priority is null" : null);
      if (priority != null) {
        this.priority = priority;
      }
      return this;
    }

    /** When to send: at most {@link #MAX_SCHEDULE_AHEAD} from now; null means now. */
    public Builder sendAt(@Nullable Instant sendAt) {
      this.sendAt = sendAt;
      return this;
    }

    /** A key that makes a repeated submission within the idempotency window a duplicate. */
    public Builder idempotencyKey(@Nullable String key) {
      String problem = shortTextProblem("idempotencyKey", key);
      setting("idempotencyKey", problem);
      if (problem == null) {
        this.idempotencyKey = key;
      }
      return this;
    }

    /**
     * Renders the named template with this model instead of a literal subject and body. Model
     * values may not be null.
     */
    public Builder template(@Nullable String name, @Nullable Map<String, ?> model) {
      if (name == null || !TEMPLATE_NAME.matcher(name).matches()) {
        setting("template", "template name must be letters, digits, '_' or '-', in '/'-separated segments");
        return this;
      }
      if (model == null) {
        setting("template", "template " + name + ": model is null");
        return this;
      }
      Map<String, Object> copy = new LinkedHashMap<>();
      for (Map.Entry<String, ?> e : model.entrySet()) {
        if (e.getKey() == null || e.getValue() == null) {
          setting("template", "template " + name + ": model has a null key or value");
          return this;
        }
        copy.put(e.getKey(), e.getValue());
      }
      setting("template", null);
      this.template = new Template(name, copy);
      return this;
    }

    /** Removes the template (after rendering it into a subject and body), and its problem. */
    public Builder clearTemplate() {
      this.template = null;
      setting("template", null);
      return this;
    }

    /** The locale to render the template in. */
    public Builder locale(@Nullable Locale locale) {
      this.locale = locale;
      return this;
    }

    /** Who asked for this email, such as {@code billing-service}. */
    public Builder caller(@Nullable String caller) {
      String problem = shortTextProblem("caller", caller);
      setting("caller", problem);
      if (problem == null) {
        this.caller = caller;
      }
      return this;
    }

    /**
     * Validates and builds the email.
     *
     * @throws InvalidEmailException listing every problem found
     */
    public Email build() {
      if (trusted && from != null && fromProblem == null && problems.isEmpty() && recipientProblems.isEmpty()
          && settingProblems.isEmpty()) {
        return new Email(this);
      }
      List<String> all = new ArrayList<>();
      if (fromProblem != null) {
        all.add(fromProblem);
      } else if (from == null) {
        all.add("from is missing");
      }
      all.addAll(recipientProblems);
      all.addAll(problems);
      all.addAll(settingProblems.values());
      checkContent(all);
      checkInlineIds(all);
      if (!all.isEmpty()) {
        throw new InvalidEmailException(all);
      }
      return new Email(this);
    }

    private void checkContent(List<String> all) {
      if (template != null) {
        if (subject != null || text != null || html != null) {
          all.add("set either a template or subject/text/html, not both");
        }
        return;
      }
      List<String> content = new ArrayList<>();
      contentProblems(content, subject, text, html);
      if (subject == null && settingProblems.containsKey("subject")) {
        content.remove(SUBJECT_MISSING); // reported already as "subject is null"
      }
      all.addAll(content);
    }

    private void checkInlineIds(List<String> all) {
      Set<String> ids = new HashSet<>();
      for (Attachment a : attachments) {
        a.contentId().filter(id -> !ids.add(id))
            .ifPresent(id -> all.add("inline content id " + id + " is used twice"));
      }
    }

    private void setting(String field, @Nullable String problem) {
      if (problem == null) {
        settingProblems.remove(field);
      } else {
        settingProblems.put(field, problem);
      }
    }

    private Builder add(String field, List<Address> target, @Nullable String @Nullable [] addresses) {
      if (addresses == null) {
        problemsOf(field).add(field + ": addresses are null");
        return this;
      }
      for (String address : addresses) {
        String position = position(field, target);
        if (address == null) {
          refuse(field, position + ": address is null");
          continue;
        }
        try {
          target.add(Address.parse(address));
        } catch (InvalidEmailException e) {
          refuse(field, position + ": " + e.problems().get(0));
        }
      }
      return this;
    }

    private Builder add(String field, List<Address> target, @Nullable Collection<@Nullable Address> addresses) {
      if (addresses == null) {
        problemsOf(field).add(field + ": addresses are null");
        return this;
      }
      for (Address address : addresses) {
        if (address == null) {
          refuse(field, position(field, target) + ": address is null");
        } else {
          target.add(address);
        }
      }
      return this;
    }

    /** {@code to[2]}: the field and the index the next address given to it has. */
    private String position(String field, List<Address> target) {
      return field + "[" + (target.size() + refused.getOrDefault(field, 0)) + "]";
    }

    /** Records the problem of the address at {@code position(field)}, which takes up that index. */
    private void refuse(String field, String problem) {
      refused.merge(field, 1, Integer::sum);
      problemsOf(field).add(problem);
    }

    private List<String> problemsOf(String field) {
      return field.equals("replyTo") ? problems : recipientProblems;
    }

    private static @Nullable String shortTextProblem(String field, @Nullable String value) {
      if (value == null || value.isBlank()) {
        return field + " is null or blank";
      }
      if (value.length() > MAX_SHORT_TEXT || Texts.hasControl(value) || Texts.hasLineBreak(value)
          || Texts.hasBrokenSurrogate(value)) {
        return field + " must be one line of at most " + MAX_SHORT_TEXT + " characters";
      }
      return null;
    }
  }
}
