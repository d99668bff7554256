/** The SES provider's internals: request mapping, message tags, error classification. */
@NullMarked
package io.postline.mail.ses.internal;

import org.jspecify.annotations.NullMarked;
