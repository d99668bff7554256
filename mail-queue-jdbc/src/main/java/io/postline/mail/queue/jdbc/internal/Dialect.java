package io.postline.mail.queue.jdbc.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;

/** What differs between the databases the queue runs on. */
public enum Dialect {
  /** PostgreSQL: one-statement takes, ON CONFLICT, LISTEN/NOTIFY. */
  POSTGRESQL("(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT",
      "nextval('postline_mail_queue_seq')"),
  /** H2: takes by conditional updates, NOT EXISTS inserts, polling. */
  H2("@postline_now",
      "NEXT VALUE FOR postline_mail_queue_seq");

  /** H2's clock in a statement: a session variable, set by {@link #H2_SET_NOW} before it. */
  public static final String H2_NOW = "@postline_now";

  /** Sets {@link #H2_NOW} to H2's clock in microseconds since the epoch. */
  public static final String H2_SET_NOW =
      "SET @postline_now = CAST(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP) * 1000000 AS BIGINT)";

  /** The channel workers LISTEN on and writers NOTIFY. */
  public static final String CHANNEL = "postline_mail_queue";

  private final String now;
  private final String nextSeq;

  Dialect(String now, String nextSeq) {
    this.now = now;
    this.nextSeq = nextSeq;
  }

  /** The database's clock in microseconds since the epoch, as an SQL expression. */
  public String now() {
    return now;
  }

  /** The sequence's next value, as an SQL expression. */
  public String nextSeq() {
    return nextSeq;
  }

  /** {@code {now}} and {@code {seq}} in {@code sql} replaced by this dialect's expressions. */
  public String sql(String sql) {
    return sql.replace("{now}", now).replace("{seq}", nextSeq);
  }

  /**
   * The dialect of the connection's database.
   *
   * @throws IllegalArgumentException for a database the queue does not support
   */
  public static Dialect of(Connection connection) throws SQLException {
    String product = connection.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
    if (product.contains("postgresql")) {
      return POSTGRESQL;
    }
    if (product.equals("h2")) {
      return H2;
    }
    throw new IllegalArgumentException("JdbcMailQueue supports PostgreSQL and H2, not " + product);
  }
}
