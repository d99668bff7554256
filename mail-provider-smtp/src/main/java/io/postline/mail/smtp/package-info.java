/**
 * SMTP for Postline over Jakarta Mail (Angus): {@link io.postline.mail.smtp.SmtpProvider}, created
 * from {@code smtp://} and {@code smtps://} DSNs or with its builder, with a connection pool,
 * verified TLS and classified failures.
 */
@NullMarked
package io.postline.mail.smtp;

import org.jspecify.annotations.NullMarked;
