package io.postline.mail.core;

import io.postline.mail.Email;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.Recipient;
import io.postline.mail.SendFailedException;
import io.postline.mail.SendResult;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Sends email through one or more providers. Thread-safe; build one per application with
 * {@link #builder()} and {@link #close()} it on shutdown.
 *
 * <pre>{@code
 * try (Mailer mailer = Mailer.builder()
 *     .provider("primary", "smtp://user:pass@smtp.example.org:587")
 *     .build()) {
 *   SendResult result = mailer.send(Email.builder()
 *       .from("shop@example.org").to("ann@example.org")
 *       .subject("Hi").text("Hello Ann")
 *       .build());
 * }
 * }</pre>
 *
 * <p>Each message goes through: template rendering (if the email names a template), the
 * providers in order (a provider whose {@link io.postline.mail.spi.Capabilities} cannot carry the
 * message is skipped), and on a failure whose {@link io.postline.mail.FailureKind#failsOver()} is
 * true, the next provider. Every step is published as a {@link io.postline.mail.event.MailEvent}.
 */
public interface Mailer extends AutoCloseable {
  /**
   * The metadata key under which the mailer gives each message's id to providers that carry
   * metadata, so that their webhooks echo it back: SendGrid {@code custom_args}, Mailgun user
   * variables ({@code v:postline_mail_id}), SES message tags. The mailer sets it on every attempt,
   * replacing an entry of that key the application set.
   */
  String MAIL_ID_METADATA_KEY = "postline_mail_id";

  /** Starts configuring a {@code Mailer}. */
  static MailerBuilder builder() {
    return new MailerBuilder();
  }

  /**
   * Sends one email now, on the calling thread.
   *
   * @return what the provider that accepted it said
   * @throws InvalidEmailException if no provider can carry the email (size, recipients, features)
   * @throws TemplateException if its template is missing or a variable is missing
   * @throws SendFailedException if no provider accepted it, or the suppression list (when the
   *     mailer has one) could not be checked ({@code TRANSIENT}: nothing is sent unchecked)
   * @throws io.postline.mail.RecipientsSuppressedException if the suppression list names every
   *     recipient: no provider was called (one suppressed among others is dropped and reported in
   *     {@link SendResult#suppressed()})
   * @throws IllegalStateException if the mailer is closed
   */
  SendResult send(Email email);

  /**
   * Sends one email on the mailer's executor. The future completes with the result or with the
   * exception {@link #send(Email)} would throw.
   */
  CompletableFuture<SendResult> sendAsync(Email email);

  /**
   * A group notification, sent now: one message per recipient (see {@link Email#forRecipient}),
   * each rendered with the email's template model overlaid by the recipient's own values. Copies
   * go to a provider that declares batches in {@link io.postline.mail.spi.MailProvider#sendBatch}
   * calls of up to its batch size, and one by one to others, in parallel on the mailer's executor;
   * each copy is retried and failed over on its own, with its own idempotency key
   * ({@code key/address}). One recipient's failure does not stop the others.
   *
   * @param email the message every recipient gets; it needs no recipients of its own (any it has
   *     are replaced)
   * @param recipients who gets it, each with their template values
   * @return one outcome per recipient, in order; a recipient the suppression list names fails with
   *     {@link io.postline.mail.RecipientsSuppressedException}
   * @throws IllegalStateException if the mailer is closed
   */
  BatchResult sendBatch(Email email, List<Recipient> recipients);

  /**
   * The queued twin of {@link #sendBatch}: one queued message per recipient, each with its own id
   * and idempotency key, written to the queue in chunks (one round trip per chunk for a durable
   * queue). Every copy is checked and rendered first: if any is invalid, nothing is queued.
   *
   * @return one receipt per recipient, in order (a duplicate key gives the first message's id; a
   *     recipient the suppression list names has a receipt with it in {@link Receipt#suppressed()},
   *     and nothing was queued for it)
   * @throws InvalidEmailException listing every recipient whose copy is invalid; nothing was queued
   * @throws QueueFullException if the queue cannot take them (copies in earlier chunks stay queued)
   * @throws io.postline.mail.MailOutcomeUnknownException if the queue cannot tell whether a chunk
   *     was stored; enqueuing again with the same idempotency key is safe
   * @throws IllegalStateException if the mailer is closed
   */
  List<Receipt> enqueueBatch(Email email, List<Recipient> recipients);

  /**
   * Puts an email in the mailer's queue, to be sent by its workers when due (its {@code sendAt},
   * else now), highest priority first. Validation, idempotency and template rendering happen
   * here, so a bad email fails at once. Failed attempts are retried by the queue with backoff,
   * never by a sleeping thread; a message whose attempts run out, or that fails for good, goes to
   * the {@link #deadLetters() dead letters}.
   *
   * @return the id to follow the message by; for a duplicate idempotency key, the first
   *     message's id with {@link Receipt#duplicate()} set
   * @throws InvalidEmailException if the email is invalid or no provider could ever carry it
   * @throws TemplateException if its template cannot be rendered
   * @throws io.postline.mail.RecipientsSuppressedException if the suppression list names every
   *     recipient: nothing was queued (some of them: they are left out and listed in
   *     {@link Receipt#suppressed()}; the worker checks the rest again before sending)
   * @throws QueueFullException if the queue is full (nothing is dropped silently)
   * @throws io.postline.mail.MailOutcomeUnknownException if the queue cannot tell whether it stored
   *     the message (a timeout, a lost reply); the message may be queued, and will then be sent
   *     once. Enqueuing again with the same idempotency key is safe: the claim on the key is kept
   * @throws IllegalStateException if the mailer is closed
   */
  Receipt enqueue(Email email);

  /** The queue's dead letters: list, requeue, purge. */
  DeadLetters deadLetters();

  /** How many messages the queue holds, by state. */
  QueueCounts queueCounts();

  /** The audit log: {@code audit().find(receipt.id())} tells one message's story. */
  AuditLog audit();

  /**
   * Records what a provider later reported about a message (delivered, bounced, ...): the event
   * goes to the audit log, the metrics ({@code postline.mail.deliveries}) and the listeners, like
   * the mailer's own events, so that {@code audit().find(mailId)} ends in the delivery. This is
   * how mail-feedback's {@code DeliveryFeedback} (built with {@code .mailer(mailer)}) hands over
   * verified webhook events; it works after {@link #close()} too, so late webhooks are not lost.
   */
  void recordDelivery(io.postline.mail.event.MailEvent.Delivery event);

  /**
   * Each provider's health (circuit state, and its active check where it has one, run with a
   * timeout) and the overall status.
   */
  MailerHealth health();

  /**
   * Stops taking new work (later calls fail with {@link IllegalStateException}) and stops the
   * workers, waits up to {@code timeout} for sends in flight, stops the mailer's threads, closes
   * what the mailer created (providers made from DSNs, its own queue) and nothing the application
   * passed in, and returns the queued messages the mailer would lose: with an in-memory queue,
   * every message not yet sent (so that the caller can keep them); with a durable queue, none.
   * Idempotent: a second call returns an empty list.
   */
  List<QueuedMail> shutdown(java.time.Duration timeout);

  /**
   * {@link #shutdown(java.time.Duration) Shuts down} with the configured close timeout, logging
   * a warning with the counts if queued messages are left behind.
   */
  @Override
  void close();
}
