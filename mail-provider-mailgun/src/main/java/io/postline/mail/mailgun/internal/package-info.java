/** The Mailgun provider's internals: form mapping, multipart encoding, error classification. */
@NullMarked
package io.postline.mail.mailgun.internal;

import org.jspecify.annotations.NullMarked;
