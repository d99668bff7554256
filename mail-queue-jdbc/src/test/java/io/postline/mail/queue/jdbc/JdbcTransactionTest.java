package io.postline.mail.queue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.Email;
import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.Receipt;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** An order and its confirmation email in one transaction: both or neither. */
@Timeout(120)
class JdbcTransactionTest {
  private JdbcTestDatabase db;
  private JdbcMailQueue queue;
  private Mailer mailer;
  private final InMemoryProvider provider = new InMemoryProvider("memory");

  private void start(String kind, int workers) throws Exception {
    db = JdbcTestDatabase.of(kind, 6);
    db.exec("CREATE TABLE orders (id INTEGER PRIMARY KEY)");
    queue = db.queue().pollInterval(Duration.ofMillis(200)).build();
    mailer = Mailer.builder().provider(provider).queue(queue).workers(workers).build();
  }

  @AfterEach
  void tearDown() {
    if (mailer != null) {
      mailer.close();
    }
    if (queue != null) {
      queue.close();
    }
    if (db != null) {
      db.close();
    }
  }

  private static Email confirmation(int order) {
    return Email.builder().from("shop@example.org").to("ann@example.org").subject("Order " + order)
        .text("Thanks for order " + order).metadata("order", Integer.toString(order)).build();
  }

  private static void insertOrder(Connection c, int id) throws Exception {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO orders (id) VALUES (?)")) {
      ps.setInt(1, id);
      ps.executeUpdate();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "h2"})
  void aRolledBackTransactionLeavesNoEmailAndACommittedOneAlwaysSends(String kind) throws Exception {
    start(kind, 2);
    Receipt rolledBack;
    try (Connection c = db.dataSource.getConnection()) {
      c.setAutoCommit(false);
      insertOrder(c, 1);
      rolledBack = queue.withConnection(c, () -> mailer.enqueue(confirmation(1)));
      assertThat(db.scalar("SELECT COUNT(*) FROM postline_mail_queue")).as("not visible before commit").isZero();
      c.rollback();
    }
    Receipt committed;
    try (Connection c = db.dataSource.getConnection()) {
      c.setAutoCommit(false);
      insertOrder(c, 2);
      committed = queue.withConnection(c, () -> mailer.enqueue(confirmation(2)));
      c.commit();
    }

    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> provider.sent().size() == 1);
    assertThat(provider.sent().get(0).metadata()).containsEntry("order", "2");
    assertThat(db.scalar("SELECT COUNT(*) FROM orders")).isEqualTo(1);
    assertThat(db.scalar("SELECT COUNT(*) FROM postline_mail_queue WHERE id = '" + rolledBack.id() + "'")).isZero();
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> queue.counts().pending() == 0);
    assertThat(db.scalar("SELECT state FROM postline_mail_queue WHERE id = '" + committed.id() + "'"))
        .as("finished").isEqualTo(3);
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "h2"})
  void aCallerTransactionJoinsWithoutPassingTheConnection(String kind) throws Exception {
    db = JdbcTestDatabase.of(kind, 6);
    db.exec("CREATE TABLE orders (id INTEGER PRIMARY KEY)");
    // What Spring's DataSourceUtils does, in miniature: the application binds its transaction's
    // connection to the thread, and the queue asks for it.
    ThreadLocal<Connection> current = new ThreadLocal<>();
    queue = db.queue().callerTransaction(ds -> current.get()).build();
    mailer = Mailer.builder().provider(provider).queue(queue).workers(1).build();

    for (int order = 1; order <= 20; order++) {
      try (Connection c = db.dataSource.getConnection()) {
        c.setAutoCommit(false);
        current.set(c);
        try {
          insertOrder(c, order);
          mailer.enqueue(confirmation(order));
          if (order % 2 == 0) {
            c.commit();
          } else {
            c.rollback();
          }
        } finally {
          current.remove();
        }
      }
    }
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> provider.sent().size() == 10);
    assertThat(provider.sent()).extracting(e -> Integer.parseInt(e.metadata().get("order")))
        .allMatch(n -> n % 2 == 0).doesNotHaveDuplicates();
    mailer.enqueue(confirmation(99)); // outside any transaction: autocommit
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> provider.sent().size() == 11);
  }
}
