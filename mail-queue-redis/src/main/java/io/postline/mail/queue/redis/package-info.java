/**
 * Postline on Redis: a durable, crash-safe priority {@link io.postline.mail.queue.redis.RedisMailQueue},
 * fleet-wide rate limits ({@link io.postline.mail.queue.redis.RedisRateLimitBackend}),
 * idempotency ({@link io.postline.mail.queue.redis.RedisIdempotencyStore}) and audit
 * ({@link io.postline.mail.queue.redis.RedisAuditLog}), with optional encryption of what is
 * stored ({@link io.postline.mail.queue.redis.EncryptionKeys}). Built on Lettuce; works with a
 * standalone Redis or a Redis Cluster.
 */
@NullMarked
package io.postline.mail.queue.redis;

import org.jspecify.annotations.NullMarked;
