package io.postline.mail.queue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.MailOutcomeUnknownException;
import io.postline.mail.Priority;
import io.postline.mail.tck.DroppingProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The INSERT of an autocommit enqueue reaches PostgreSQL and commits, but its reply is lost with
 * the connection (a TCP proxy drops it): the outcome is unknown, and enqueuing again is safe.
 */
@Timeout(60)
class JdbcLostReplyTest {

  @Test
  void aLostReplyIsAnUnknownOutcomeAndEnqueuingAgainStoresNothingTwice() throws Exception {
    try (JdbcTestDatabase db = JdbcTestDatabase.postgres(2);
         JdbcMailQueue direct = db.queue().build();
         DroppingProxy proxy = new DroppingProxy("127.0.0.1", 5432);
         var proxied = JdbcTestDatabase.pool("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/test?currentSchema="
             + db.schema, 3);
         JdbcMailQueue queue = JdbcMailQueue.builder(proxied).build()) {
      proxy.dropRepliesTo("lost-1");

      assertThatThrownBy(() -> queue.enqueue(JdbcQueueTest.mail("lost-1", Priority.NORMAL)))
          .isInstanceOfSatisfying(MailOutcomeUnknownException.class, e -> {
            assertThat(e.mailId()).isEqualTo("lost-1");
            assertThat(e.getMessage()).contains("enqueuing it again is safe").doesNotContain("secret");
          });
      assertThat(proxy.dropped()).isEqualTo(1);
      assertThat(db.scalar("SELECT COUNT(*) FROM postline_mail_queue WHERE id = 'lost-1'")).as("it was stored").isEqualTo(1);

      proxy.passThrough();
      queue.enqueue(JdbcQueueTest.mail("lost-1", Priority.NORMAL));
      assertThat(db.scalar("SELECT COUNT(*) FROM postline_mail_queue")).as("stored once").isEqualTo(1);
      assertThat(direct.take(java.time.Duration.ZERO, java.time.Duration.ofSeconds(30))).isPresent();
    }
  }
}
