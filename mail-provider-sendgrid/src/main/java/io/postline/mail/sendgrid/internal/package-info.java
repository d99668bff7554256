/** The SendGrid provider's internals: request mapping, batch planning, error classification. */
@NullMarked
package io.postline.mail.sendgrid.internal;

import org.jspecify.annotations.NullMarked;
