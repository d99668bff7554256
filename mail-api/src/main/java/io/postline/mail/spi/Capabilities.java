package io.postline.mail.spi;

import io.postline.mail.Email;
import io.postline.mail.InvalidEmailException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What a provider can send. The caller checks each email with {@link #problems(Email)} before
 * handing it over, so that a feature a provider lacks is a clear error, never a silent drop.
 *
 * <p>Scheduling is not checked here: a provider without native scheduling gets the message when
 * it is due, because the queue holds it until then.
 */
public final class Capabilities {
  private static final Capabilities UNLIMITED = builder().build();

  /** Who puts a DKIM signature on the messages a provider sends. */
  public enum DkimSigning {
    /** Nobody that Postline knows of: messages go out as Postline wrote them. */
    NONE,
    /** Postline signs each message with the keys the provider was configured with. */
    POSTLINE,
    /**
     * The provider signs on its own side, with the keys set up for the sending domain in its
     * account (SendGrid, Mailgun; SES with Easy DKIM). Providers that cannot carry a signature of
     * Postline's (SendGrid, Mailgun) refuse Postline's DKIM settings; SES takes them, and then
     * says {@link #POSTLINE}.
     */
    PROVIDER
  }

  private final int maxRecipients;
  private final long maxMessageBytes;
  private final boolean attachments;
  private final boolean tags;
  private final int maxTags;
  private final boolean metadata;
  private final boolean deliveryReports;
  private final boolean scheduling;
  private final Duration maxScheduleAhead;
  private final boolean batch;
  private final int maxBatchSize;
  private final DkimSigning dkimSigning;
  private final boolean internationalizedAddresses;

  private Capabilities(Builder b) {
    this.maxRecipients = b.maxRecipients;
    this.maxMessageBytes = b.maxMessageBytes;
    this.attachments = b.attachments;
    this.tags = b.tags;
    this.maxTags = b.maxTags;
    this.metadata = b.metadata;
    this.deliveryReports = b.deliveryReports;
    this.scheduling = b.scheduling;
    this.maxScheduleAhead = b.maxScheduleAhead;
    this.batch = b.batch;
    this.maxBatchSize = b.maxBatchSize;
    this.dkimSigning = b.dkimSigning;
    this.internationalizedAddresses = b.internationalizedAddresses;
  }

  /**
   * Everything supported, no limits, except what a provider must declare: native scheduling and
   * batches, and internationalized addresses.
   */
  public static Capabilities unlimited() {
    return UNLIMITED;
  }

  /** Starts from {@link #unlimited()}. */
  public static Builder builder() {
    return new Builder();
  }

  /** The most recipients (to + cc + bcc) one message may have. */
  public int maxRecipients() {
    return maxRecipients;
  }

  /** The largest message, in bytes, as {@link Email#approximateSize()} counts it. */
  public long maxMessageBytes() {
    return maxMessageBytes;
  }

  /** Whether attachments and inline parts can be sent. */
  public boolean attachments() {
    return attachments;
  }

  /** Whether tags are passed to the provider (as categories, tags or headers). */
  public boolean tags() {
    return tags;
  }

  /** The most tags one message may carry. */
  public int maxTags() {
    return maxTags;
  }

  /** Whether metadata is passed to the provider. */
  public boolean metadata() {
    return metadata;
  }

  /**
   * Whether the provider reports what became of each message through webhooks that echo its
   * metadata back (SendGrid's custom args, Mailgun's user variables, SES's message tags). A
   * {@code Mailer} gives such a provider its mail id as metadata {@code postline_mail_id}, so each
   * report finds its message; other providers get the message exactly as the application built it.
   * False unless the provider declares it.
   */
  public boolean deliveryReports() {
    return deliveryReports;
  }

  /** Whether the provider can hold a message until {@code sendAt} itself. */
  public boolean scheduling() {
    return scheduling;
  }

  /** How far ahead native scheduling reaches. */
  public Duration maxScheduleAhead() {
    return maxScheduleAhead;
  }

  /** Whether the provider sends many messages in one request. */
  public boolean batch() {
    return batch;
  }

  /** The most messages in one batch request. */
  public int maxBatchSize() {
    return maxBatchSize;
  }

  /** Who signs the provider's messages with DKIM; {@link DkimSigning#NONE} unless the provider says. */
  public DkimSigning dkimSigning() {
    return dkimSigning;
  }

  /**
   * Refuses Postline's DKIM options ({@code dkim.*}) for a provider that signs on its own side
   * ({@link DkimSigning#PROVIDER}); a provider's factory calls it before it reads its options.
   *
   * @throws IllegalArgumentException naming the provider and saying where its signing is set up
   */
  public void refuseDkimOptions(ProviderSettings settings) {
    if (dkimSigning != DkimSigning.PROVIDER) {
      return;
    }
    List<String> dkim = settings.options().keySet().stream()
        .filter(k -> k.toLowerCase(java.util.Locale.ROOT).startsWith("dkim.")).sorted().toList();
    if (!dkim.isEmpty()) {
      throw new IllegalArgumentException("provider " + settings.name() + " (" + settings.scheme()
          + "://) signs with DKIM on its own side, with the keys set up for the sending domain in its "
          + "account, so Postline's " + dkim + " cannot be used with it; remove them and set up "
          + "domain authentication at " + settings.scheme() + " (Postline signs only for providers "
          + "that send its MIME: smtp, smtps)");
    }
  }

  /**
   * Whether addresses with a non-ASCII local part ({@link io.postline.mail.Address#isInternationalized()},
   * RFC 6531) can be sent: false unless the provider declares them, since a provider that does not
   * know them would mangle or bounce them.
   */
  public boolean internationalizedAddresses() {
    return internationalizedAddresses;
  }

  /** Every way {@code email} exceeds these capabilities, one line each (unmodifiable); empty when it fits. */
  public List<String> problems(Email email) {
    List<String> problems = List.of(); // most messages fit: nothing allocated for them
    int recipients = email.recipients().size();
    if (recipients > maxRecipients) {
      problems = with(problems, "at most " + maxRecipients + " recipients per message, this one has "
          + recipients + " (use sendBatch for group notifications)");
    }
    long size = email.approximateSize();
    if (size > maxMessageBytes) {
      problems = with(problems, "messages up to " + maxMessageBytes + " bytes, this one is about " + size);
    }
    if (!attachments && !email.attachments().isEmpty()) {
      problems = with(problems, "attachments are not supported");
    }
    if (!email.tags().isEmpty()) {
      if (!tags) {
        problems = with(problems, "tags are not supported");
      } else if (email.tags().size() > maxTags) {
        problems = with(problems, "at most " + maxTags + " tags, this message has " + email.tags().size());
      }
    }
    if (!metadata && !email.metadata().isEmpty()) {
      problems = with(problems, "metadata is not supported");
    }
    if (!internationalizedAddresses && email.hasInternationalizedAddress()) {
      problems = with(problems, "internationalized addresses (a non-ASCII local part, RFC 6531 SMTPUTF8) are not supported");
    }
    return List.copyOf(problems); // the empty list as it is
  }

  private static List<String> with(List<String> problems, String problem) {
    List<String> out = problems.isEmpty() ? new ArrayList<>(2) : problems;
    out.add(problem);
    return out;
  }

  /**
   * Throws when {@code email} does not fit.
   *
   * @throws InvalidEmailException naming the provider and each unsupported feature
   */
  public void check(Email email, String provider) {
    List<String> problems = problems(email);
    if (!problems.isEmpty()) {
      throw new InvalidEmailException(
          problems.stream().map(p -> "provider " + provider + ": " + p).toList());
    }
  }

  /**
   * Checks every email of a batch before any is sent: what these capabilities refuse (as
   * {@link #check}) and what the provider's own rules refuse, each problem prefixed with the
   * email's position, such as {@code emails[2]: provider sg: attachments are not supported}.
   *
   * @param emails the batch
   * @param provider the provider's name
   * @param ownProblems the provider's own problems with one email, already worded
   * @throws InvalidEmailException listing the problems of every invalid email, if any
   */
  public void checkBatch(List<Email> emails, String provider, Function<Email, List<String>> ownProblems) {
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < emails.size(); i++) {
      Email email = emails.get(i);
      String at = "emails[" + i + "]: ";
      for (String p : problems(email)) {
        problems.add(at + "provider " + provider + ": " + p);
      }
      for (String p : ownProblems.apply(email)) {
        problems.add(at + p);
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidEmailException(problems);
    }
  }

  @Override
  public String toString() {
    return "Capabilities[maxRecipients=" + maxRecipients + ", maxMessageBytes=" + maxMessageBytes
        + ", attachments=" + attachments + ", tags=" + tags + "(max " + maxTags + ")"
        + ", metadata=" + metadata + ", deliveryReports=" + deliveryReports + ", scheduling=" + scheduling + "(max " + maxScheduleAhead + ")"
        + ", batch=" + batch + "(max " + maxBatchSize + ")"
        + ", dkimSigning=" + dkimSigning.name().toLowerCase(java.util.Locale.ROOT)
        + ", internationalizedAddresses=" + internationalizedAddresses + "]";
  }

  /**
   * Builds {@link Capabilities}; every setting starts unlimited or supported, except native
   * scheduling and batches and internationalized addresses, which a provider declares.
   */
  public static final class Builder {
    private int maxRecipients = Integer.MAX_VALUE;
    private long maxMessageBytes = Long.MAX_VALUE;
    private boolean attachments = true;
    private boolean tags = true;
    private int maxTags = Integer.MAX_VALUE;
    private boolean metadata = true;
    private boolean deliveryReports;
    private boolean scheduling;
    private Duration maxScheduleAhead = Duration.ZERO;
    private boolean batch;
    private int maxBatchSize = 1;
    private DkimSigning dkimSigning = DkimSigning.NONE;
    private boolean internationalizedAddresses;

    private Builder() {}

    /**
     * Whether the provider sends to and from addresses with a non-ASCII local part (RFC 6531);
     * false by default, so that such an email is refused with a clear error unless declared.
     */
    public Builder internationalizedAddresses(boolean supported) {
      this.internationalizedAddresses = supported;
      return this;
    }

    /** Who signs the provider's messages with DKIM; {@link DkimSigning#NONE} by default. */
    public Builder dkimSigning(DkimSigning signing) {
      this.dkimSigning = java.util.Objects.requireNonNull(signing, "signing");
      return this;
    }

    /** The most recipients per message; at least 1. */
    public Builder maxRecipients(int max) {
      this.maxRecipients = positive("maxRecipients", max);
      return this;
    }

    /** The largest message in bytes; at least 1. */
    public Builder maxMessageBytes(long max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxMessageBytes must be at least 1, was " + max);
      }
      this.maxMessageBytes = max;
      return this;
    }

    /** Whether attachments can be sent. */
    public Builder attachments(boolean supported) {
      this.attachments = supported;
      return this;
    }

    /** Tags supported, at most {@code max} per message. */
    public Builder tags(int max) {
      this.tags = true;
      this.maxTags = positive("maxTags", max);
      return this;
    }

    /** Tags not supported. */
    public Builder noTags() {
      this.tags = false;
      this.maxTags = 0;
      return this;
    }

    /** Whether metadata can be sent. */
    public Builder metadata(boolean supported) {
      this.metadata = supported;
      return this;
    }

    /**
     * Whether the provider's delivery webhooks echo a message's metadata back (see
     * {@link Capabilities#deliveryReports()}); false unless set.
     */
    public Builder deliveryReports(boolean echoed) {
      this.deliveryReports = echoed;
      return this;
    }

    /** Native scheduling up to {@code maxAhead}. */
    public Builder scheduling(Duration maxAhead) {
      if (maxAhead.isNegative() || maxAhead.isZero()) {
        throw new IllegalArgumentException("maxScheduleAhead must be positive, was " + maxAhead);
      }
      this.scheduling = true;
      this.maxScheduleAhead = maxAhead;
      return this;
    }

    /** Native batches of at most {@code maxSize} messages. */
    public Builder batch(int maxSize) {
      this.batch = true;
      this.maxBatchSize = positive("maxBatchSize", maxSize);
      return this;
    }

    /** Builds the capabilities. */
    public Capabilities build() {
      return new Capabilities(this);
    }

    private static int positive(String what, int value) {
      if (value < 1) {
        throw new IllegalArgumentException(what + " must be at least 1, was " + value);
      }
      return value;
    }
  }
}
