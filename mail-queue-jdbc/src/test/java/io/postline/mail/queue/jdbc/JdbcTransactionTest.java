package io.postline.mail.queue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.Email;
import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.Receipt;
import io.postline.mail.event.MailEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
    mailer = Mailer.builder().provider(provider).queue(queue).workers(workers).listener(events::add).build();
  }

  private final List<MailEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();

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

  private static Email keyed(int order, String key) {
    return confirmation(order).toBuilder().idempotencyKey(key).build();
  }

  /** Runs {@code work} in a transaction of its own that commits or rolls back. */
  private Receipt inTransaction(boolean commit, int order, Email email) throws Exception {
    try (Connection c = db.dataSource.getConnection()) {
      c.setAutoCommit(false);
      insertOrder(c, order);
      Receipt r = queue.withConnection(c, () -> mailer.enqueue(email));
      if (commit) {
        c.commit();
      } else {
        c.rollback();
      }
      return r;
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "h2"})
  void aRolledBackKeyIsFreeAndACommittedOneIsADuplicate(String kind) throws Exception {
    start(kind, 1);
    Receipt rolledBack = inTransaction(false, 1, keyed(1, "order-1"));
    assertThat(rolledBack.duplicate()).isFalse();
    Receipt retried = inTransaction(true, 2, keyed(2, "order-1"));
    assertThat(retried.duplicate()).as("the rolled-back enqueue held no key").isFalse();
    Receipt again = inTransaction(true, 3, keyed(3, "order-1"));
    assertThat(again.duplicate()).as("after the commit the key is held").isTrue();
    assertThat(again.id()).isEqualTo(retried.id());
    Receipt outside = mailer.enqueue(keyed(4, "order-1"));
    assertThat(outside).isEqualTo(new Receipt(retried.id(), true));

    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> provider.sent().size() == 1);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> queue.counts().pending() == 0);
    assertThat(provider.sent()).singleElement().satisfies(e -> assertThat(e.metadata()).containsEntry("order", "2"));
    assertThat(mailer.enqueue(keyed(5, "order-1")).duplicate()).as("a sent message keeps its key").isTrue();
    assertThat(db.scalar("SELECT COUNT(*) FROM postline_mail_queue WHERE idem_key IS NOT NULL")).isEqualTo(1);
    assertThat(db.scalar("SELECT COUNT(*) FROM postline_mail_queue WHERE idem_key LIKE '%order%'"))
        .as("the key is stored as its digest").isZero();
    // The story: the rolled-back enqueue ends at Queued; a duplicate is Queued, then dropped.
    assertThat(mailer.audit().find(rolledBack.id())).singleElement().isInstanceOf(MailEvent.Queued.class);
    List<String> dropped = events.stream().filter(e -> e instanceof MailEvent.DuplicateDropped)
        .map(MailEvent::mailId).toList();
    assertThat(dropped).hasSize(3);
    List<MailEvent> duplicate = mailer.audit().find(dropped.get(0));
    assertThat(duplicate).extracting(e -> e.getClass().getSimpleName()).containsExactly("Queued", "DuplicateDropped");
    assertThat(((MailEvent.DuplicateDropped) duplicate.get(1)).originalMailId()).isEqualTo(retried.id());
    assertThat(provider.sent()).hasSize(1);
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void ofTwoConcurrentTransactionsWithOneKeyExactlyOneEmailCommits(boolean firstCommits) throws Exception {
    start("postgresql", 1);
    try (Connection first = db.dataSource.getConnection(); Connection second = db.dataSource.getConnection()) {
      first.setAutoCommit(false);
      second.setAutoCommit(false);
      insertOrder(first, 1);
      Receipt a = queue.withConnection(first, () -> mailer.enqueue(keyed(1, "order-x")));
      insertOrder(second, 2);
      CompletableFuture<Receipt> b = CompletableFuture.supplyAsync(
          () -> queue.withConnection(second, () -> mailer.enqueue(keyed(2, "order-x"))));
      // The second insert waits on the first transaction's uncommitted key.
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> db.scalar(
          "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = '" + db.schema + "' AND wait_event_type = 'Lock'")
          >= 1);
      assertThat(b).isNotDone();
      if (firstCommits) {
        first.commit();
      } else {
        first.rollback();
      }
      Receipt got = b.get(10, TimeUnit.SECONDS);
      second.commit();
      if (firstCommits) {
        assertThat(got).isEqualTo(new Receipt(a.id(), true));
      } else {
        assertThat(got.duplicate()).isFalse();
      }
      String winner = firstCommits ? "1" : "2";
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> provider.sent().size() == 1);
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> queue.counts().pending() == 0);
      assertThat(provider.sent()).singleElement().satisfies(e -> assertThat(e.metadata()).containsEntry("order", winner));
      assertThat(db.scalar("SELECT COUNT(*) FROM orders")).as("both orders committed").isEqualTo(firstCommits ? 2 : 1);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "h2"})
  void aDeadLetteredMessageFreesItsKey(String kind) throws Exception {
    start(kind, 1);
    provider.failNext(1, io.postline.mail.FailureKind.PERMANENT);
    Receipt first = inTransaction(true, 1, keyed(1, "order-7"));
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> queue.counts().deadLettered() == 1);
    Receipt second = mailer.enqueue(keyed(2, "order-7"));
    assertThat(second.duplicate()).isFalse();
    assertThat(second.id()).isNotEqualTo(first.id());
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgresql", "h2"})
  void aGroupEnqueueInATransactionStoresEachRecipientsKeyOnce(String kind) throws Exception {
    start(kind, 1);
    Email group = Email.builder().from("shop@example.org").subject("News").text("Hello").idempotencyKey("news-1").build();
    List<io.postline.mail.Recipient> recipients = List.of(io.postline.mail.Recipient.of("ann@example.org"),
        io.postline.mail.Recipient.of("bob@example.org"), io.postline.mail.Recipient.of("ann@example.org"));
    List<Receipt> receipts;
    try (Connection c = db.dataSource.getConnection()) {
      c.setAutoCommit(false);
      receipts = queue.withConnection(c, () -> mailer.enqueueBatch(group, recipients));
      c.commit();
    }
    assertThat(receipts).extracting(Receipt::duplicate).containsExactly(false, false, true);
    assertThat(receipts.get(2).id()).isEqualTo(receipts.get(0).id());
    List<Receipt> again = mailer.enqueueBatch(group, recipients);
    assertThat(again).extracting(Receipt::id).containsExactlyElementsOf(receipts.stream().map(Receipt::id).toList());
    assertThat(again).allMatch(Receipt::duplicate);
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> provider.sent().size() == 2);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> queue.counts().pending() == 0);
    assertThat(provider.sent()).hasSize(2);
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
