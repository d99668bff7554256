/**
 * Sending through the Mailgun v3 messages API with the JDK's HTTP client:
 * {@link io.postline.mail.mailgun.MailgunProvider}, created from a DSN such as
 * {@code mailgun://API_KEY@mg.example.org?region=eu} or by hand with
 * {@link io.postline.mail.mailgun.MailgunProvider#builder(String, String)}.
 */
@NullMarked
package io.postline.mail.mailgun;

import org.jspecify.annotations.NullMarked;
