package io.postline.mail.spring;

import static io.postline.mail.spring.TestSupport.box;
import static io.postline.mail.spring.TestSupport.outbox;
import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.Email;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.MailQueue;
import io.postline.mail.queue.jdbc.JdbcMailQueue;
import java.time.Duration;
import java.util.UUID;
import javax.sql.DataSource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/** queue: jdbc, on the application's DataSource, joining its Spring transactions (H2). */
class JdbcQueueAutoConfigurationTest {

  private static ApplicationContextRunner runner(DataSource dataSource) {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(PostlineJdbcQueueAutoConfiguration.class,
            PostlineMailAutoConfiguration.class))
        .withBean(DataSource.class, () -> dataSource);
  }

  private static DataSource h2() {
    return new DriverManagerDataSource("jdbc:h2:mem:spring" + UUID.randomUUID().toString().replace("-", "")
        + ";DB_CLOSE_DELAY=-1", "sa", "");
  }

  @Test
  void anOrderAndItsEmailCommitOrRollBackTogether() {
    DataSource ds = h2();
    String out = outbox();
    runner(ds).withPropertyValues("postline.mail.providers.primary.dsn=memory://" + out,
        "postline.mail.queue.type=jdbc", "postline.mail.queue.create-schema=true").run(context -> {
          assertThat(context).hasSingleBean(JdbcMailQueue.class);
          assertThat(context.getBean(MailQueue.class)).isInstanceOf(JdbcMailQueue.class);
          Mailer mailer = context.getBean(Mailer.class);
          JdbcTemplate jdbc = new JdbcTemplate(ds);
          jdbc.execute("CREATE TABLE orders (id INT PRIMARY KEY)");
          TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(ds));

          tx.executeWithoutResult(status -> {
            jdbc.update("INSERT INTO orders (id) VALUES (1)");
            mailer.enqueue(email(1));
            status.setRollbackOnly();
          });
          tx.executeWithoutResult(status -> {
            jdbc.update("INSERT INTO orders (id) VALUES (2)");
            mailer.enqueue(email(2));
          });

          Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> box(out).sent().size() == 1);
          assertThat(box(out).sent().get(0).metadata()).containsEntry("order", "2");
          assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM orders", Long.class)).isEqualTo(1L);
          assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM postline_mail_queue", Long.class))
              .as("the rolled-back email left no row").isEqualTo(1L);
        });
  }

  @Test
  void encryptionKeysSealStoredMessagesAndRotate() {
    DataSource ds = h2();
    String out = outbox();
    String oldKey = "k1:" + java.util.Base64.getEncoder().encodeToString(new byte[32]);
    String newKey = "k2:" + java.util.Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());
    JdbcTemplate jdbc = new JdbcTemplate(ds);
    // Stored under k1 by a producer-only instance (no workers take it).
    runner(ds).withPropertyValues("postline.mail.providers.primary.dsn=memory://" + out, "postline.mail.queue.type=jdbc",
        "postline.mail.queue.create-schema=true", "postline.mail.queue.workers=0",
        "postline.mail.queue.encryption-keys=" + oldKey).run(context -> {
          assertThat(context).hasNotFailed();
          context.getBean(Mailer.class).enqueue(email(7));
          byte[] payload = jdbc.queryForObject("SELECT payload FROM postline_mail_queue", byte[].class);
          assertThat(new String(payload, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("Order 7")
              .doesNotContain("ann@example.org");
        });
    // Rotated: k2 is current, k1 still reads what was stored before.
    runner(ds).withPropertyValues("postline.mail.providers.primary.dsn=memory://" + out, "postline.mail.queue.type=jdbc",
        "postline.mail.queue.encryption-keys=" + newKey + "," + oldKey).run(context -> {
          assertThat(context).hasNotFailed();
          context.getBean(Mailer.class).enqueue(email(8));
          Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> box(out).sent().size() == 2);
          assertThat(box(out).sent()).extracting(e -> e.metadata().get("order")).containsExactlyInAnyOrder("7", "8");
        });
  }

  @Test
  void badOrMisplacedEncryptionKeysNameTheirProperty() {
    runner(h2()).withPropertyValues("postline.mail.providers.primary.dsn=memory://" + outbox(),
        "postline.mail.queue.type=jdbc", "postline.mail.queue.create-schema=true",
        "postline.mail.queue.encryption-keys=k1:not-base64!").run(context ->
        assertThat(InvalidPropertiesTest.cause(context.getStartupFailure()).property())
            .isEqualTo("postline.mail.queue.encryption-keys"));
    runner(h2()).withPropertyValues("postline.mail.providers.primary.dsn=memory://" + outbox(),
        "postline.mail.queue.encryption-keys=k1:" + java.util.Base64.getEncoder().encodeToString(new byte[32]))
        .run(context -> {
          InvalidPostlinePropertyException e = InvalidPropertiesTest.cause(context.getStartupFailure());
          assertThat(e.property()).isEqualTo("postline.mail.queue.encryption-keys");
          assertThat(e.getMessage()).contains("jdbc queue only").doesNotContain("AAAA");
        });
  }

  @Test
  void withoutTheTableTheStartUpSaysWhatToRun() {
    runner(h2()).withPropertyValues("postline.mail.providers.primary.dsn=memory://" + outbox(),
        "postline.mail.queue.type=jdbc").run(context -> {
          assertThat(context).hasFailed();
          assertThat(context.getStartupFailure()).hasStackTraceContaining("table postline_mail_queue is not there")
              .hasStackTraceContaining("V1__postline_mail_queue.sql")
              .hasStackTraceContaining("V2__postline_mail_queue_idempotency.sql").hasStackTraceContaining("createSchema(true)");
        });
  }

  private static Email email(int order) {
    return Email.builder().from("shop@example.org").to("ann@example.org").subject("Order " + order)
        .text("Thanks").metadata("order", Integer.toString(order)).build();
  }
}
