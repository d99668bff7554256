package io.postline.mail.spring;

import static io.postline.mail.spring.TestSupport.box;
import static io.postline.mail.spring.TestSupport.outbox;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.Email;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.Receipt;
import io.postline.mail.queue.jdbc.JdbcMailQueue;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.annotation.Transactional;

/**
 * A Spring service writing an order and its confirmation in one {@code @Transactional} method, on
 * the real PostgreSQL (127.0.0.1:5432, database test, a schema of its own): the email's
 * idempotency key is held only if the transaction commits.
 */
@Timeout(120)
class JdbcQueueTransactionalTest {
  private static final String PG = "jdbc:postgresql://127.0.0.1:5432/test";

  private String schema;
  private DataSource dataSource;

  @BeforeEach
  void createSchema() throws Exception {
    schema = "pl_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT);
    exec("CREATE SCHEMA " + schema);
    dataSource = new DriverManagerDataSource(PG + "?currentSchema=" + schema + "&ApplicationName=" + schema,
        "postgres", "");
    new JdbcTemplate(dataSource).execute("CREATE TABLE orders (id INT PRIMARY KEY)");
  }

  @AfterEach
  void dropSchema() throws Exception {
    exec("DROP SCHEMA " + schema + " CASCADE");
  }

  private static void exec(String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(PG, "postgres", ""); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private ApplicationContextRunner runner(String out) {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(PostlineJdbcQueueAutoConfiguration.class,
            PostlineMailAutoConfiguration.class))
        .withBean(DataSource.class, () -> dataSource)
        .withUserConfiguration(Shop.Config.class)
        .withPropertyValues("postline.mail.providers.primary.dsn=memory://" + out, "postline.mail.queue.type=jdbc",
            "postline.mail.queue.create-schema=true", "postline.mail.queue.workers=1");
  }

  /** The application: orders and their confirmations, one transaction each. */
  static class Shop {
    private final JdbcTemplate jdbc;
    private final Mailer mailer;

    Shop(DataSource dataSource, Mailer mailer) {
      this.jdbc = new JdbcTemplate(dataSource);
      this.mailer = mailer;
    }

    /** Writes the order, enqueues its confirmation, then runs {@code beforeCommit} (which may throw). */
    @Transactional
    public Receipt order(int id, String key, Runnable beforeCommit) {
      jdbc.update("INSERT INTO orders (id) VALUES (?)", id);
      Receipt receipt = mailer.enqueue(Email.builder().from("shop@example.org").to("ann@example.org")
          .subject("Order " + id).text("Thanks").metadata("order", Integer.toString(id)).idempotencyKey(key).build());
      beforeCommit.run();
      return receipt;
    }

    @Configuration(proxyBeanMethods = false)
    @EnableTransactionManagement
    static class Config {
      @Bean
      PlatformTransactionManager transactionManager(DataSource dataSource) {
        return new DataSourceTransactionManager(dataSource);
      }

      @Bean
      Shop shop(DataSource dataSource, Mailer mailer) {
        return new Shop(dataSource, mailer);
      }
    }
  }

  @Test
  void aRolledBackOrderFreesItsKeyAndACommittedOneHoldsIt() {
    String out = outbox();
    runner(out).run(context -> {
      assertThat(context).hasSingleBean(JdbcMailQueue.class);
      Shop shop = context.getBean(Shop.class);
      assertThatThrownBy(() -> shop.order(1, "order-1", () -> {
        throw new IllegalStateException("payment declined");
      })).hasMessage("payment declined");
      Receipt retried = shop.order(2, "order-1", () -> { });
      assertThat(retried.duplicate()).as("the rolled-back order held no key").isFalse();
      Receipt again = shop.order(3, "order-1", () -> { });
      assertThat(again).isEqualTo(new Receipt(retried.id(), true));

      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> box(out).sent().size() == 1);
      JdbcMailQueue queue = context.getBean(JdbcMailQueue.class);
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> queue.counts().pending() == 0);
      assertThat(box(out).sent()).singleElement().satisfies(e -> assertThat(e.metadata()).containsEntry("order", "2"));
      assertThat(new JdbcTemplate(dataSource).queryForList("SELECT id FROM orders ORDER BY id", Integer.class))
          .containsExactly(2, 3);
    });
  }

  @Test
  void ofTwoConcurrentOrdersWithOneKeyExactlyOneEmailCommits() {
    String out = outbox();
    runner(out).run(context -> {
      Shop shop = context.getBean(Shop.class);
      CountDownLatch enqueued = new CountDownLatch(1);
      CountDownLatch commit = new CountDownLatch(1);
      CompletableFuture<Receipt> first = CompletableFuture.supplyAsync(() -> shop.order(1, "order-x", () -> {
        enqueued.countDown();
        try {
          commit.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }));
      assertThat(enqueued.await(20, TimeUnit.SECONDS)).as("the first order holds its key, uncommitted").isTrue();
      CompletableFuture<Receipt> second = CompletableFuture.supplyAsync(() -> shop.order(2, "order-x", () -> { }));
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> new JdbcTemplate(dataSource).queryForObject(
          "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = ? AND wait_event_type = 'Lock'", Long.class,
          schema) >= 1);
      assertThat(second).as("the second waits for the first transaction").isNotDone();
      commit.countDown(); // the first commits: the second then finds the key held
      Receipt a = first.get(20, TimeUnit.SECONDS);
      Receipt b = second.get(20, TimeUnit.SECONDS);
      assertThat(a.duplicate()).isFalse();
      assertThat(b).isEqualTo(new Receipt(a.id(), true));
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> box(out).sent().size() == 1);
      JdbcMailQueue queue = context.getBean(JdbcMailQueue.class);
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> queue.counts().pending() == 0);
      assertThat(box(out).sent()).singleElement().satisfies(e -> assertThat(e.metadata()).containsEntry("order", "1"));
    });
  }

}
