/** Internals of the SMTP provider: the connection pool, failure classification, TLS and logging. Not API. */
@NullMarked
package io.postline.mail.smtp.internal;

import org.jspecify.annotations.NullMarked;
