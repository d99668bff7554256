/** Internals of the JDBC queue: SQL dialects and the LISTEN/NOTIFY wake-up. Not API. */
@NullMarked
package io.postline.mail.queue.jdbc.internal;

import org.jspecify.annotations.NullMarked;
