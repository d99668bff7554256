package io.postline.mail.tck;

import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One message as the provider's peer received it (an HTTP API's request, an SMTP server's
 * envelope and MIME message, an in-memory outbox), normalized so that every provider can be held
 * to the same expectations.
 *
 * <p>A provider test builds one of these per message the peer would deliver: an HTTP request that
 * carries several messages (SendGrid personalizations, Mailgun recipient variables) becomes one
 * {@code DeliveredMessage} per message, with any per-recipient substitution already applied.
 *
 * <p>What "normalized" means:
 * <ul>
 *   <li>addresses are {@link Address} values, display names decoded (no RFC 2047 words left);
 *   <li>{@link #bcc()} holds the recipients that were not in a {@code To} or {@code Cc} header
 *       (for SMTP: the envelope recipients left over);
 *   <li>text and HTML bodies are decoded; the kit compares them after turning CRLF into LF and
 *       dropping trailing line breaks, so a MIME round trip passes;
 *   <li>{@link #headers()} holds at least the custom headers the email set (more are allowed), and
 *       {@link #header(String)} looks them up case-insensitively;
 *   <li>tags and metadata are what the peer can report back (categories, {@code o:tag},
 *       {@code v:} variables, message tags); a peer that has no place for them leaves them empty.
 * </ul>
 */
public final class DeliveredMessage {
  private final Address from;
  private final List<Address> to;
  private final List<Address> cc;
  private final List<Address> bcc;
  private final List<Address> replyTo;
  private final String subject;
  private final @Nullable String text;
  private final @Nullable String html;
  private final List<DeliveredAttachment> attachments;
  private final Map<String, String> headers;
  private final Set<String> tags;
  private final Map<String, String> metadata;
  private final @Nullable Instant sendAt;

  private DeliveredMessage(Builder b) {
    this.from = Objects.requireNonNull(b.from, "from is required");
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
    this.sendAt = b.sendAt;
  }

  /**
   * The message a peer that keeps {@link Email}s as they are (an in-memory outbox) delivered:
   * every field as the email has it; {@code sendAt} only when {@code keepsSchedule}.
   */
  public static DeliveredMessage of(Email e, boolean keepsSchedule) {
    Builder b = builder().from(e.from()).to(e.to()).cc(e.cc()).bcc(e.bcc())
        .replyTo(e.replyTo()).subject(e.subject().orElse("")).text(e.text().orElse(null)).html(e.html().orElse(null))
        .tags(e.tags()).sendAt(keepsSchedule ? e.sendAt().orElse(null) : null);
    for (Attachment a : e.attachments()) {
      b.attachment(a.contentId()
          .map(id -> DeliveredAttachment.inline("<" + id + ">", a.fileName(), a.contentType(), a.content()))
          .orElseGet(() -> DeliveredAttachment.attachment(a.fileName(), a.contentType(), a.content())));
    }
    e.headers().forEach(b::header);
    e.metadata().forEach(b::metadata);
    return b.build();
  }

  /** Starts a message; only {@link Builder#from(Address)} is required. */
  public static Builder builder() {
    return new Builder();
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

  /** The blind-copy recipients: received, but in no {@code To} or {@code Cc} header. */
  public List<Address> bcc() {
    return bcc;
  }

  /** The reply-to addresses. */
  public List<Address> replyTo() {
    return replyTo;
  }

  /** The subject, decoded. */
  public String subject() {
    return subject;
  }

  /** The plain-text body, if there was one. */
  public Optional<String> text() {
    return Optional.ofNullable(text);
  }

  /** The HTML body, if there was one. */
  public Optional<String> html() {
    return Optional.ofNullable(html);
  }

  /** Attachments and inline parts, in the order the peer received them. */
  public List<DeliveredAttachment> attachments() {
    return attachments;
  }

  /** Headers the peer received; at least the email's custom headers. */
  public Map<String, String> headers() {
    return headers;
  }

  /** One header's value, the name matched case-insensitively. */
  public Optional<String> header(String name) {
    for (Map.Entry<String, String> e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase(name)) {
        return Optional.of(e.getValue());
      }
    }
    return Optional.empty();
  }

  /** Tags as the peer reports them (categories, tags). */
  public Set<String> tags() {
    return tags;
  }

  /** Metadata as the peer reports it (custom args, variables, message tags). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** When the peer was asked to deliver the message; empty means at once. */
  public Optional<Instant> sendAt() {
    return Optional.ofNullable(sendAt);
  }

  /** Every recipient: to, then cc, then bcc. */
  public List<Address> recipients() {
    List<Address> all = new ArrayList<>(to);
    all.addAll(cc);
    all.addAll(bcc);
    return all;
  }

  /** Masks addresses and leaves out bodies. */
  @Override
  public String toString() {
    return "DeliveredMessage[from=" + from.masked()
        + ", to=" + to.stream().map(Address::masked).toList()
        + ", cc=" + cc.size() + ", bcc=" + bcc.size()
        + ", parts=" + (text != null ? "text" : "") + (html != null ? "+html" : "")
        + ", attachments=" + attachments + ", tags=" + tags + ", metadata=" + metadata.keySet()
        + (sendAt != null ? ", sendAt=" + sendAt : "") + "]";
  }

  /** Builds a {@link DeliveredMessage}. Methods taking lists add to what is there. */
  public static final class Builder {
    private @Nullable Address from;
    private final List<Address> to = new ArrayList<>();
    private final List<Address> cc = new ArrayList<>();
    private final List<Address> bcc = new ArrayList<>();
    private final List<Address> replyTo = new ArrayList<>();
    private String subject = "";
    private @Nullable String text;
    private @Nullable String html;
    private final List<DeliveredAttachment> attachments = new ArrayList<>();
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final Set<String> tags = new LinkedHashSet<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private @Nullable Instant sendAt;

    private Builder() {}

    /** The sender. */
    public Builder from(Address from) {
      this.from = Objects.requireNonNull(from, "from");
      return this;
    }

    /** Adds {@code To} recipients. */
    public Builder to(Collection<Address> addresses) {
      to.addAll(addresses);
      return this;
    }

    /** Adds {@code Cc} recipients. */
    public Builder cc(Collection<Address> addresses) {
      cc.addAll(addresses);
      return this;
    }

    /** Adds blind-copy recipients. */
    public Builder bcc(Collection<Address> addresses) {
      bcc.addAll(addresses);
      return this;
    }

    /** Adds reply-to addresses. */
    public Builder replyTo(Collection<Address> addresses) {
      replyTo.addAll(addresses);
      return this;
    }

    /** The decoded subject. */
    public Builder subject(String subject) {
      this.subject = Objects.requireNonNull(subject, "subject");
      return this;
    }

    /** The plain-text body; null for none. */
    public Builder text(@Nullable String text) {
      this.text = text;
      return this;
    }

    /** The HTML body; null for none. */
    public Builder html(@Nullable String html) {
      this.html = html;
      return this;
    }

    /** Adds an attachment or inline part. */
    public Builder attachment(DeliveredAttachment attachment) {
      attachments.add(Objects.requireNonNull(attachment, "attachment"));
      return this;
    }

    /** Adds a header; a later value for the same name replaces the earlier one. */
    public Builder header(String name, String value) {
      headers.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Adds tags. */
    public Builder tags(Collection<String> values) {
      tags.addAll(values);
      return this;
    }

    /** Adds a metadata entry. */
    public Builder metadata(String key, String value) {
      metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** When the peer was asked to deliver; null for at once. */
    public Builder sendAt(@Nullable Instant sendAt) {
      this.sendAt = sendAt;
      return this;
    }

    /**
     * Builds the message.
     *
     * @throws NullPointerException if no sender was set
     */
    public DeliveredMessage build() {
      return new DeliveredMessage(this);
    }
  }
}
