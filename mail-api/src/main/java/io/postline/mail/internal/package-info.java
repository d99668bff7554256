/**
 * Not API: what other Postline modules need from {@code mail-api} and users must not use. Anything
 * here may change without notice.
 */
@NullMarked
package io.postline.mail.internal;

import org.jspecify.annotations.NullMarked;
