package io.postline.mail.queue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.Email;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.QueuedMail;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A child JVM working the queue on PostgreSQL is killed with SIGKILL mid-run; after its leases
 * lapse, a Mailer in this JVM finishes the work. Every message is delivered, none is lost, and the
 * duplicates are at most the messages the child had leased when it died.
 */
@Timeout(240)
class JdbcCrashTest {
  private static final int MESSAGES = 1500;
  private static final int CHILD_WORKERS = 4;
  /** The child's provider accepts this message and then hangs: its lease is held at the kill. */
  private static final String HANGS = "500";

  @Test
  void aKilledWorkerJvmLosesNothingAndDuplicatesAtMostItsLeasedMessages() throws Exception {
    Path log = Files.createTempFile("postline-jdbc-crash-child", ".log");
    Process child = null;
    try (JdbcTestDatabase db = JdbcTestDatabase.postgres(8);
         JdbcMailQueue producer = db.queue().build()) {
      TableProvider.createTable(db.dataSource);
      Instant now = Instant.now();
      List<QueuedMail> batch = new ArrayList<>();
      for (int i = 0; i < MESSAGES; i++) {
        Email email = Email.builder().from("shop@example.org").to("user" + i + "@example.org")
            .subject("crash " + i).text("body").metadata("n", Integer.toString(i)).build();
        batch.add(new QueuedMail("crash-" + i, email, 0, now, now, Optional.empty()));
      }
      producer.enqueueBatch(batch);

      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      // The child's sessions carry their own application name, so the test can tell when they are gone.
      String childName = db.schema + "-child";
      child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
          JdbcCrashWorkerMain.class.getName(), db.url + "-child", Integer.toString(CHILD_WORKERS), "2000", HANGS)
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      Process running = child;
      Awaitility.await("the child delivers").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20))
          .until(() -> db.scalar("SELECT COUNT(*) FROM delivered") >= 600 || !running.isAlive());
      assertThat(child.isAlive()).as("child still working; its output: %s", Files.readString(log)).isTrue();

      String childSessions = "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = '" + childName + "'";
      assertThat(db.scalar(childSessions)).as("the child's sessions, told apart by name").isPositive();

      child.destroyForcibly(); // SIGKILL
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      // A statement the child sent just before it died may still be running on the server (a take or
      // an ack committing after the kill): count the leases only once its sessions have ended.
      Awaitility.await("the child's sessions end").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
          .until(() -> db.scalar(childSessions) == 0);
      long deliveredBeforeKill = db.scalar("SELECT COUNT(*) FROM delivered");
      long leasedAtKill = db.scalar("SELECT COUNT(*) FROM postline_mail_queue WHERE state = 1");
      assertThat(deliveredBeforeKill).as("killed mid-run").isLessThan(MESSAGES);
      // Each worker takes up to 4 messages at a time (the engine's take batch) and sends them in turn.
      assertThat(leasedAtKill).as("leases held by the child when it died").isBetween(1L, CHILD_WORKERS * 4L);

      try (JdbcMailQueue queue = db.queue().build();
           Mailer recovery = Mailer.builder()
               .provider(new TableProvider(db.dataSource, Duration.ZERO, 0, ""))
               .queue(queue).workers(4).leaseDuration(Duration.ofSeconds(10)).build()) {
        Awaitility.await("every message delivered").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
            .until(() -> db.scalar("SELECT COUNT(DISTINCT n) FROM delivered") == MESSAGES);
        Awaitility.await("the queue empties").atMost(Duration.ofSeconds(30)).until(() -> queue.counts().pending() == 0);

        long delivered = db.scalar("SELECT COUNT(*) FROM delivered");
        assertThat(delivered - MESSAGES).as("duplicates: at most the child's leased messages")
            .isBetween(1L, leasedAtKill);
        assertThat(db.scalar("SELECT COUNT(*) FROM delivered WHERE n = '" + HANGS + "'"))
            .as("accepted, then its worker died before the ack").isEqualTo(2);
        assertThat(queue.stats().recoveredLeases()).as("the child's leases were recovered").isEqualTo(leasedAtKill);
        assertThat(queue.counts().deadLettered()).isZero();
      }
    } finally {
      if (child != null && child.isAlive()) {
        child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
      Files.deleteIfExists(log);
    }
  }
}
