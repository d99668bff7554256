/**
 * A transactional outbox {@link io.postline.mail.core.MailQueue} on the application's own
 * database: {@link io.postline.mail.queue.jdbc.JdbcMailQueue} on PostgreSQL (first class, with
 * LISTEN/NOTIFY wake-ups) or H2. Enqueue joins the caller's transaction.
 */
@NullMarked
package io.postline.mail.queue.jdbc;

import org.jspecify.annotations.NullMarked;
