/**
 * Internals of the Redis module: JSON codecs, payload encryption, Lua scripts and connection
 * handling. Not API: anything here may change without notice.
 */
@NullMarked
package io.postline.mail.queue.redis.internal;

import org.jspecify.annotations.NullMarked;
