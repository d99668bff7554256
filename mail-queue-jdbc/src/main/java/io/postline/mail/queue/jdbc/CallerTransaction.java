package io.postline.mail.queue.jdbc;

import java.sql.Connection;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Finds the transaction the calling thread is in, so that {@link JdbcMailQueue#enqueue} (and so
 * {@code Mailer.enqueue}) writes its row in that transaction: a rollback leaves no email, a commit
 * always leaves one. Spring's auto-configuration installs one backed by {@code DataSourceUtils};
 * without one, {@link JdbcMailQueue#withConnection} binds a connection explicitly.
 */
public interface CallerTransaction {

  /**
   * The connection of the calling thread's current transaction on {@code dataSource}, or null when
   * it is in none (the queue then writes in a connection of its own, in autocommit). The queue
   * never commits, rolls back or closes it.
   */
  @Nullable Connection connection(DataSource dataSource);

  /** Called once the queue is done with a connection {@link #connection} returned. */
  default void release(Connection connection, DataSource dataSource) {}
}
