/**
 * Sending through the SendGrid v3 Mail Send API: {@link io.postline.mail.sendgrid.SendGridProvider},
 * created from a DSN such as {@code sendgrid://API_KEY@default?region=eu} or by hand with
 * {@link io.postline.mail.sendgrid.SendGridProvider#builder(String)}.
 */
@NullMarked
package io.postline.mail.sendgrid;

import org.jspecify.annotations.NullMarked;
