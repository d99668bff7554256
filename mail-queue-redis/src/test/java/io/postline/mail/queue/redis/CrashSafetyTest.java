package io.postline.mail.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.postline.mail.Email;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.QueuedMail;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A child JVM working the queue is killed with SIGKILL mid-run; after its leases lapse, a Mailer
 * in this JVM finishes the work. Every message is delivered, none is lost, and the duplicates
 * are at most the messages the child was sending (one per worker); a message it had leased but
 * not yet reached is sent once, after its lease lapsed.
 */
@Timeout(240)
class CrashSafetyTest {
  private static final int MESSAGES = 1500;
  private static final int CHILD_WORKERS = 4;
  /**
   * The most leases one child worker holds: its last take's. Workers take more than one message
   * from a deep queue only as many as their sends fit in a 10 ms budget; the child's take 4 ms
   * each, so a take leases at most two.
   */
  private static final int LEASES_PER_WORKER = 2;
  /** The child's provider accepts this message and then hangs: its lease is held at the kill. */
  private static final String HANGS = "500";

  @Test
  void aKilledWorkerJvmLosesNothingAndDuplicatesAtMostItsInFlightMessages() throws Exception {
    String prefix = RedisTestSupport.uniquePrefix();
    String deliveries = prefix + ":delivered";
    RedisClient client = RedisTestSupport.client();
    Path log = Files.createTempFile("postline-crash-child", ".log");
    Process child = null;
    try (RedisMailQueue producer = RedisMailQueue.builder(client).keyPrefix(prefix).name("crash").build();
        StatefulRedisConnection<String, String> redis = client.connect()) {
      Instant now = Instant.now();
      for (int i = 0; i < MESSAGES; i++) {
        Email email = Email.builder().from("shop@example.org").to("user" + i + "@example.org")
            .subject("crash " + i).text("body").metadata("n", Integer.toString(i)).build();
        producer.enqueue(new QueuedMail("crash-" + i, email, 0, now, now, Optional.empty()));
      }

      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
          CrashWorkerMain.class.getName(), RedisTestSupport.URL, prefix, "crash",
          Integer.toString(CHILD_WORKERS), "2000", deliveries, HANGS)
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      Process running = child;
      Awaitility.await("the child delivers").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20))
          .until(() -> redis.sync().llen(deliveries) >= 600 || !running.isAlive());
      assertThat(child.isAlive()).as("child still working; its output: %s", Files.readString(log)).isTrue();

      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      long deliveredBeforeKill = redis.sync().llen(deliveries);
      long leasedAtKill = redis.sync().zcard(prefix + ":{crash}:leased");
      long recoveredBefore = Long.parseLong(Optional.ofNullable(redis.sync().hget(prefix + ":{crash}:stats", "recovered"))
          .orElse("0"));
      assertThat(deliveredBeforeKill).as("killed mid-run").isLessThan(MESSAGES);
      assertThat(leasedAtKill).as("leases held by the child when it died")
          .isBetween(1L, (long) CHILD_WORKERS * LEASES_PER_WORKER);

      try (RedisMailQueue queue = RedisMailQueue.builder(client).keyPrefix(prefix).name("crash")
          .pollInterval(Duration.ofMillis(500)).build();
          Mailer recovery = Mailer.builder()
              .provider(new RecordingProvider(RedisTestSupport.URL, deliveries, Duration.ZERO))
              .queue(queue).workers(4).leaseDuration(Duration.ofSeconds(10)).build()) {
        Awaitility.await("every message delivered").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
            .until(() -> new HashSet<>(redis.sync().lrange(deliveries, 0, -1)).size() == MESSAGES);
        Awaitility.await("the queue empties").atMost(Duration.ofSeconds(30))
            .until(() -> queue.counts().pending() == 0);

        List<String> delivered = redis.sync().lrange(deliveries, 0, -1);
        Set<String> distinct = new HashSet<>(delivered);
        assertThat(distinct).hasSize(MESSAGES);
        assertThat(delivered.size() - distinct.size()).as("duplicates").isBetween(1, CHILD_WORKERS)
            .isLessThanOrEqualTo((int) leasedAtKill);
        assertThat(delivered.stream().filter(HANGS::equals)).as("accepted, then its worker died before the ack")
            .hasSize(2);
        assertThat(queue.stats().recoveredLeases() - recoveredBefore).as("the child's leases were recovered")
            .isEqualTo(leasedAtKill);
        assertThat(queue.counts().deadLettered()).isZero();
      }
    } finally {
      if (child != null && child.isAlive()) {
        child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
      Files.deleteIfExists(log);
      RedisTestSupport.cleanup(client, prefix);
      client.shutdown();
    }
  }
}
