package io.postline.mail.queue.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * A database of its own for one test class: a fresh schema on the real PostgreSQL at
 * 127.0.0.1:5432 (trust auth, database {@code test}), or a fresh in-memory H2 database.
 */
final class JdbcTestDatabase implements AutoCloseable {
  static final String PG_URL = "jdbc:postgresql://127.0.0.1:5432/test";

  final String kind;
  final String url;
  final String schema;
  final HikariDataSource dataSource;

  private JdbcTestDatabase(String kind, String url, String schema, int poolSize) {
    this.kind = kind;
    this.url = url;
    this.schema = schema;
    this.dataSource = pool(url, poolSize);
  }

  /** A new schema on PostgreSQL; the schema is dropped on close. */
  static JdbcTestDatabase postgres(int poolSize) {
    String schema = "pl_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT);
    exec(PG_URL, "CREATE SCHEMA " + schema);
    return new JdbcTestDatabase("postgresql", PG_URL + "?currentSchema=" + schema + "&ApplicationName=" + schema, schema,
        poolSize);
  }

  /** A new in-memory H2 database, kept while the pool is open. */
  static JdbcTestDatabase h2(int poolSize) {
    String name = "pl" + UUID.randomUUID().toString().replace("-", "");
    return new JdbcTestDatabase("h2", "jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1", name, poolSize);
  }

  static JdbcTestDatabase of(String kind, int poolSize) {
    return kind.equals("h2") ? h2(poolSize) : postgres(poolSize);
  }

  static HikariDataSource pool(String url, int poolSize) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setUsername(url.startsWith("jdbc:h2") ? "sa" : "postgres");
    config.setMaximumPoolSize(poolSize);
    config.setMinimumIdle(1);
    config.setPoolName("test-" + Integer.toHexString(url.hashCode()));
    return new HikariDataSource(config);
  }

  JdbcMailQueue.Builder queue() {
    return JdbcMailQueue.builder(dataSource).createSchema(true);
  }

  long scalar(String sql) {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
         var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  byte[] scalarBytes(String sql) {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
         var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getBytes(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  void exec(String sql) {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void exec(String url, String sql) {
    try (Connection c = java.sql.DriverManager.getConnection(url, "postgres", "");
         Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL at 127.0.0.1:5432 is needed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    dataSource.close();
    if (kind.equals("postgresql")) {
      exec(PG_URL, "DROP SCHEMA " + schema + " CASCADE");
    }
  }
}
