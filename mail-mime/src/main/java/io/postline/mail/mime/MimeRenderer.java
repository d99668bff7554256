package io.postline.mail.mime;

import io.postline.mail.Address;
import io.postline.mail.Email;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.MailException;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Turns an {@link Email} into MIME: the bytes of an {@code .eml} file (for SMTP's DATA and raw-message
 * APIs), written directly, or a Jakarta Mail {@link MimeMessage} parsed from them.
 *
 * <h2>Structure</h2>
 * <ul>
 *   <li>text only: a single {@code text/plain} part; HTML only: a single {@code text/html} part;
 *   <li>text and HTML: {@code multipart/alternative}, text first;
 *   <li>inline parts ({@link io.postline.mail.Attachment#inline}) with an HTML body:
 *       {@code multipart/related} holding the HTML and the inline parts, each with a
 *       {@code Content-ID: <id>} the HTML references as {@code cid:id} and
 *       {@code Content-Disposition: inline}; without an HTML body they are sent as inline parts
 *       of the {@code multipart/mixed} below;
 *   <li>regular attachments: {@code multipart/mixed} around all of the above, attachments in the
 *       order they were added, base64 encoded, their file names RFC 2231 encoded when they are
 *       not short ASCII or hold {@code =?} (which readers would decode as an encoded-word).
 * </ul>
 * Attachments of a composite type ({@code message/rfc822}, {@code multipart/*}) may not be base64
 * encoded (RFC 2046), so they are sent as they are ({@code 7bit} or {@code 8bit}); their content
 * must be lines of at most 998 bytes ending in CRLF, or rendering fails with a
 * {@link MailException} that says so.
 * Bodies are UTF-8 and their line breaks are written as CRLF, as MIME requires of text. An empty
 * text or HTML body counts as absent.
 *
 * <h2>Headers</h2>
 * {@code From}, {@code To}, {@code Cc}, {@code Reply-To}, {@code Subject}, {@code Date},
 * {@code Message-ID} ({@code <unique@domain>}, on the {@linkplain Builder#messageIdDomain
 * configured domain} or else the sender's), {@code MIME-Version} and the email's custom headers.
 * Addresses are written with their domain in ASCII (punycode) form; subjects, display names and
 * header values that are not plain ASCII, or that hold {@code =?} anywhere, are RFC 2047 encoded
 * (UTF-8), and every header is folded so that no line is longer than 998 characters. A header
 * value reads back exactly as given, in Jakarta Mail and in Python's {@code email} package alike.
 *
 * <p><strong>No {@code Bcc} header is ever written</strong>: blind-copy recipients are envelope
 * recipients only, and a transport must add {@link Email#bcc()} to the recipients it sends to
 * itself. A {@code To} header is left out when the email has only cc or bcc recipients.
 *
 * <p>Instances are immutable and safe to share between threads.
 *
 * <pre>{@code
 * MimeRenderer renderer = MimeRenderer.builder().messageIdDomain("mail.example.org").build();
 * byte[] eml = renderer.toEml(email);
 * }</pre>
 */
public final class MimeRenderer {
  private static final class Defaults {
    static final MimeRenderer INSTANCE = builder().build();
  }

  private final @Nullable String messageIdDomain;
  private final Clock clock;

  private MimeRenderer(Builder builder) {
    this.messageIdDomain = builder.messageIdDomain;
    this.clock = builder.clock;
  }

  /** A renderer that puts Message-IDs on the sender's domain and dates by the system clock. */
  public static MimeRenderer defaults() {
    return Defaults.INSTANCE;
  }

  /** A builder for a renderer with other settings. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Renders the email as a MIME message in the given session. The message is complete: it has
   * been saved ({@link MimeMessage#saveChanges()}), and saving it again keeps its Message-ID.
   *
   * <p>The message carries no {@code Bcc} header: send it to {@link Email#recipients()} (which
   * include the bcc addresses) as the envelope, not to the recipients its headers name.
   *
   * @param email a rendered email: literal subject and body, no template
   * @param session the Jakarta Mail session the message belongs to
   * @return a new message, each call with a new Message-ID
   * @throws IllegalArgumentException if the email still has a template to render
   * @throws MailException if an attachment of a composite type cannot be sent as it is, or
   *     Jakarta Mail fails to build the message
   */
  public MimeMessage render(Email email, Session session) {
    Objects.requireNonNull(session, "session");
    byte[] bytes = toEml(email);
    try {
      // Parsed, not built: writing it out again copies these bytes and encodes nothing.
      return new RenderedMessage(session, new ByteArrayInputStream(bytes));
    } catch (MessagingException e) {
      throw new MailException("Jakarta Mail could not read the MIME message ("
          + e.getClass().getSimpleName() + ")", e);
    }
  }

  /**
   * The email as the bytes of an {@code .eml} file (RFC 5322, CRLF line ends), which is also what
   * SMTP's DATA and a raw-message API such as Amazon SES expect. Written directly, each part's
   * transfer encoding chosen as it is written: text parts {@code 7bit} when they are short-lined
   * ASCII, else {@code quoted-printable}; attachments {@code base64} (composite types as they are).
   * Each call gives a new Message-ID. The same as {@code toEml(email, MimeChannel.SEVEN_BIT)}.
   *
   * @throws IllegalArgumentException if the email still has a template to render
   * @throws MailException if an attachment of a composite type cannot be sent as it is, or an
   *     address in a header has a non-ASCII local part (that needs {@link MimeChannel#UTF8})
   */
  public byte[] toEml(Email email) {
    return toEml(email, MimeChannel.SEVEN_BIT);
  }

  /**
   * The email as {@code .eml} bytes (see {@link #toEml(Email)}) for a channel that accepts more than
   * 7-bit text: with {@link MimeChannel#EIGHT_BIT}, UTF-8 text parts with lines of at most 998
   * octets go as {@code 8bit}; with {@link MimeChannel#UTF8}, addresses with a non-ASCII local part
   * are written in UTF-8 too (RFC 6532). Send the result only over a channel that offers it
   * (8BITMIME, SMTPUTF8).
   *
   * @throws IllegalArgumentException if the email still has a template to render
   * @throws MailException as {@link #toEml(Email)} does, and when a From, To, Cc or Reply-To address
   *     is internationalized and the channel is not {@link MimeChannel#UTF8}
   */
  public byte[] toEml(Email email, MimeChannel channel) {
    Objects.requireNonNull(email, "email");
    Objects.requireNonNull(channel, "channel");
    email.template().ifPresent(template -> {
      throw new IllegalArgumentException("the email still has template '" + template.name()
          + "'; render the template into a subject and body before rendering MIME");
    });
    String domain = messageIdDomain != null ? messageIdDomain : email.from().domain();
    return MessageWriter.write(email, MessageIds.next(domain), clock.instant(), clock.getZone(), channel);
  }

  /**
   * Writes the email in {@code .eml} form (see {@link #toEml}) to the stream, which is left open.
   *
   * @throws IllegalArgumentException if the email still has a template to render
   * @throws MailException as {@link #toEml} does
   * @throws UncheckedIOException if writing to the stream fails
   */
  public void writeEml(Email email, OutputStream out) {
    Objects.requireNonNull(out, "out");
    byte[] bytes = toEml(email);
    try {
      out.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("could not write the .eml", e);
    }
  }

  /** Names the settings. */
  @Override
  public String toString() {
    return "MimeRenderer[messageIdDomain="
        + (messageIdDomain == null ? "<sender's domain>" : messageIdDomain) + "]";
  }

  /** Settings for a {@link MimeRenderer}; every one is optional. */
  public static final class Builder {
    private @Nullable String messageIdDomain;
    private Clock clock = Clock.systemDefaultZone();

    private Builder() {}

    /**
     * The domain Message-IDs are made on ({@code <unique@domain>}); by default the sender's
     * domain. An internationalized domain is written in its ASCII (punycode) form.
     *
     * @param domain a host name such as {@code mail.example.org}
     * @throws IllegalArgumentException if {@code domain} is not a valid host name
     */
    public Builder messageIdDomain(String domain) {
      Objects.requireNonNull(domain, "domain");
      try {
        this.messageIdDomain = Address.of("postmaster@" + domain).domain();
      } catch (InvalidEmailException e) {
        throw new IllegalArgumentException(
            "messageIdDomain is not a valid domain name: '" + domain + "'", e);
      }
      return this;
    }

    /**
     * The clock the {@code Date} header is taken from; the system clock by default. The date is
     * written in the clock's time zone.
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** A renderer with these settings. */
    public MimeRenderer build() {
      return new MimeRenderer(this);
    }
  }
}
