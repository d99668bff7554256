/**
 * Internals of the Redis module: Lua scripts, event and result codecs, and connection
 * handling. Not API: anything here may change without notice.
 */
@NullMarked
package io.postline.mail.queue.redis.internal;

import org.jspecify.annotations.NullMarked;
