/**
 * The payload format shared by the Redis and JDBC queues (versioned JSON) and its AES-GCM
 * encryption. Not API: anything here may change without notice.
 */
@NullMarked
package io.postline.mail.queue.codec.internal;

import org.jspecify.annotations.NullMarked;
