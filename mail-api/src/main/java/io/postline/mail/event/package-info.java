/**
 * Events published for every step of a message's life, delivered to
 * {@link io.postline.mail.event.MailListener}s, the audit log and metrics.
 */
@NullMarked
package io.postline.mail.event;

import org.jspecify.annotations.NullMarked;
