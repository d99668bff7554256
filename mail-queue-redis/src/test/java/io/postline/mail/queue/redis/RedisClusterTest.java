package io.postline.mail.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.core.RateLimit;
import io.postline.mail.core.TokenBucket;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.postline.mail.FailureKind;
import io.postline.mail.Priority;
import io.postline.mail.core.Lease;
import io.postline.mail.event.MailEvent;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A three-shard Redis Cluster of the test's own: the queue's Lua scripts touch only keys of its
 * hash tag (one slot), and the other stores use one key per operation, so all of it works there.
 */
@Timeout(120)
class RedisClusterTest {
  private static final List<RedisServerProcess> nodes = new ArrayList<>();
  private static RedisClusterClient cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    List<String> create = new ArrayList<>(List.of(redisCli(), "--cluster", "create"));
    for (int i = 0; i < 3; i++) {
      RedisServerProcess node = new RedisServerProcess("--cluster-enabled", "yes", "--cluster-node-timeout", "5000",
          "--appendonly", "no");
      nodes.add(node);
      node.start();
      create.add("127.0.0.1:" + node.port());
    }
    create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
    Path out = Files.createTempFile("postline-cluster", ".log");
    Process p = new ProcessBuilder(create).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("redis-cli --cluster create: %s", Files.readString(out)).isZero();
    Files.deleteIfExists(out);
    for (RedisServerProcess node : nodes) {
      RedisClient probe = RedisClient.create(node.url());
      try (StatefulRedisConnection<String, String> c = probe.connect()) {
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> c.sync().clusterInfo().contains("cluster_state:ok"));
      } finally {
        probe.shutdown();
      }
    }
    List<RedisURI> seeds = nodes.stream().map(n -> RedisURI.create(n.url())).toList();
    cluster = RedisClusterClient.create(seeds);
    cluster.setOptions(RedisMailQueue.recommendedClusterClientOptions());
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.shutdown();
    }
    for (RedisServerProcess node : nodes) {
      node.close();
    }
  }

  private static String redisCli() {
    String server = RedisServerProcess.binary();
    File sibling = new File(new File(server).getParentFile() == null ? new File(".") : new File(server).getParentFile(),
        "redis-cli");
    return sibling.canExecute() ? sibling.getPath() : "redis-cli";
  }

  @Test
  void queuesOnDifferentShardsWorkLikeOnOneServer() throws Exception {
    for (String name : List.of("alpha", "beta", "gamma")) {
      try (RedisMailQueue q = RedisMailQueue.builder(cluster).keyPrefix("cl").name(name).build()) {
        q.enqueue(RedisTestSupport.mail(name + "-low", Priority.LOW));
        q.enqueue(RedisTestSupport.mail(name + "-high", Priority.HIGH));
        q.enqueue(RedisTestSupport.mailDueIn(name + "-later", Duration.ofSeconds(3)));

        Lease high = q.take(Duration.ofSeconds(5), Duration.ofSeconds(30)).orElseThrow();
        Lease low = q.take(Duration.ofSeconds(5), Duration.ofMillis(200)).orElseThrow();
        Lease recovered = q.take(Duration.ofSeconds(10), Duration.ofSeconds(30)).orElseThrow();
        Lease later = q.take(Duration.ofSeconds(10), Duration.ofSeconds(30)).orElseThrow();

        assertThat(List.of(high.id(), low.id(), recovered.id(), later.id()))
            .containsExactly(name + "-high", name + "-low", name + "-low", name + "-later");
        assertThat(q.ack(low)).as("the lapsed lease is fenced off").isFalse();
        assertThat(q.ack(high)).isTrue();
        assertThat(q.ack(later)).isTrue();
        assertThat(q.deadLetter(recovered, 2, FailureKind.PERMANENT, "no")).isTrue();
        assertThat(q.deadLetters(5)).hasSize(1);
        assertThat(q.requeueDeadLetter(name + "-low")).isTrue();
        assertThat(q.purgeDeadLetters()).isZero();
        assertThat(q.counts().readyTotal()).isEqualTo(1);
        assertThat(q.stats().recoveredLeases()).isEqualTo(1);
      }
    }
  }

  @Test
  void idempotencyAuditAndRateLimitsWorkOnTheCluster() {
    try (RedisIdempotencyStore idem = RedisIdempotencyStore.builder(cluster).keyPrefix("cl").build();
        RedisAuditLog audit = RedisAuditLog.builder(cluster).keyPrefix("cl").build();
        RedisRateLimitBackend limits = RedisRateLimitBackend.builder(cluster).keyPrefix("cl").build()) {
      assertThat(idem.claim("k-1", "m-1")).isEmpty();
      assertThat(idem.claim("k-1", "m-2")).isPresent();
      MailEvent event = new MailEvent.Sending("m-1", Instant.now(), Optional.empty(), "smtp", 1);
      audit.record(event);
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> audit.find("m-1").equals(List.of(event)));
      TokenBucket bucket = limits.bucket("smtp", RateLimit.of(2, Duration.ofHours(1)));
      assertThat(bucket.tryTake()).isZero();
      assertThat(bucket.tryTake()).isZero();
      assertThat(bucket.tryTake()).isPositive();
    }
  }
}
