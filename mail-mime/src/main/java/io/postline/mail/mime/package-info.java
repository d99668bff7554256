/**
 * Renders a Postline {@link io.postline.mail.Email} as MIME: a Jakarta Mail
 * {@link jakarta.mail.internet.MimeMessage} for SMTP and raw-message APIs, or {@code .eml} bytes
 * for previews and archives. Start with {@link io.postline.mail.mime.MimeRenderer}.
 */
@NullMarked
package io.postline.mail.mime;

import org.jspecify.annotations.NullMarked;
