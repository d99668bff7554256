/**
 * After the hand-off: what providers report back about sent mail.
 *
 * <p>A {@link io.postline.mail.feedback.WebhookVerifier} per provider ({@link
 * io.postline.mail.feedback.SendGridWebhook}, {@link io.postline.mail.feedback.MailgunWebhook},
 * {@link io.postline.mail.feedback.SesSnsWebhook}) checks a webhook request's signature, freshness
 * and replay before it reads a single event, and turns what it reads into {@link
 * io.postline.mail.feedback.DeliveryEvent}s. A request that fails any check is refused with a
 * {@link io.postline.mail.feedback.WebhookRejectedException} and changes nothing.
 */
@NullMarked
package io.postline.mail.feedback;

import org.jspecify.annotations.NullMarked;
