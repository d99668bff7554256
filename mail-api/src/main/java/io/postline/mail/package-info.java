/**
 * Postline's public values: {@link io.postline.mail.Email} and its parts, send results and the
 * exceptions a send can end in. Every value is immutable and validated when it is built.
 */
@NullMarked
package io.postline.mail;

import org.jspecify.annotations.NullMarked;
