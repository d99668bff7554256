package io.postline.mail.queue.jdbc;

import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.SendResult;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.ProviderException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;

/**
 * A provider that records each accepted send (the email's metadata {@code n}) in the table
 * {@code delivered}, so that deliveries made by a JVM that was killed stay countable. It can fail a
 * share of sends as TRANSIENT before recording anything, take {@code latency} per send, and hang
 * after recording one message (a send accepted whose worker dies before the ack).
 */
final class TableProvider implements MailProvider {
  private final DataSource dataSource;
  private final Duration latency;
  private final double failureRate;
  private final String hangAfter;

  TableProvider(DataSource dataSource, Duration latency, double failureRate, String hangAfter) {
    this.dataSource = dataSource;
    this.latency = latency;
    this.failureRate = failureRate;
    this.hangAfter = hangAfter;
  }

  static void createTable(DataSource dataSource) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.createStatement().execute("CREATE TABLE IF NOT EXISTS delivered (n VARCHAR(64) NOT NULL)");
    }
  }

  @Override
  public String name() {
    return "table";
  }

  @Override
  public Capabilities capabilities() {
    return Capabilities.unlimited();
  }

  @Override
  public SendResult send(Email email) throws ProviderException {
    if (!latency.isZero()) {
      LockSupport.parkNanos(latency.toNanos());
    }
    if (failureRate > 0 && ThreadLocalRandom.current().nextDouble() < failureRate) {
      throw ProviderException.of(FailureKind.TRANSIENT, name(), "421 try again later");
    }
    String n = email.metadata().get("n");
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement("INSERT INTO delivered (n) VALUES (?)")) {
      ps.setString(1, n);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw ProviderException.of(FailureKind.TRANSIENT, name(), "could not record: " + e.getMessage());
    }
    if (hangAfter.equals(n)) {
      while (true) {
        LockSupport.park(this);
      }
    }
    return SendResult.accepted(name(), "<" + n + "@table>", email.recipients(), latency);
  }
}
