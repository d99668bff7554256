/**
 * Sending through Amazon SES v2 with the AWS SDK for Java v2: {@link io.postline.mail.ses.SesProvider},
 * created from a DSN such as {@code ses://ACCESS_KEY:SECRET@default?region=eu-west-1} or by hand
 * with {@link io.postline.mail.ses.SesProvider#builder()}.
 */
@NullMarked
package io.postline.mail.ses;

import org.jspecify.annotations.NullMarked;
