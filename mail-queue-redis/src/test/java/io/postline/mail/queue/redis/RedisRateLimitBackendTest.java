package io.postline.mail.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.core.RateLimit;
import io.postline.mail.core.TokenBucket;
import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class RedisRateLimitBackendTest {
  private RedisClient clientA;
  private RedisClient clientB;
  private String prefix;

  @BeforeEach
  void setUp() {
    prefix = RedisTestSupport.uniquePrefix();
    clientA = RedisTestSupport.client();
    clientB = RedisTestSupport.client();
  }

  @AfterEach
  void tearDown() {
    RedisTestSupport.cleanup(clientA, prefix);
    clientA.shutdown();
    clientB.shutdown();
  }

  private static RateLimit tenPerHour() {
    return RateLimit.of(10, Duration.ofHours(1));
  }

  @Test
  void twoBackendsShareOneBucketPerProvider() throws Exception {
    try (RedisRateLimitBackend jvm1 = RedisRateLimitBackend.builder(clientA).keyPrefix(prefix).build();
        RedisRateLimitBackend jvm2 = RedisRateLimitBackend.builder(clientB).keyPrefix(prefix).build()) {
      TokenBucket b1 = jvm1.bucket("smtp", tenPerHour());
      TokenBucket b2 = jvm2.bucket("smtp", tenPerHour());
      TokenBucket other = jvm2.bucket("ses", tenPerHour());
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<Boolean>> tries = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
          TokenBucket b = i % 2 == 0 ? b1 : b2;
          tries.add(pool.submit(() -> b.tryTake().isZero()));
        }
        int granted = 0;
        for (Future<Boolean> t : tries) {
          granted += t.get() ? 1 : 0;
        }

        assertThat(granted).as("30 tries from two JVMs against 10 permits").isEqualTo(10);
        assertThat(b1.tryTake()).as("empty: the next token is due later").isPositive();
        assertThat(other.tryTake().isZero()).as("another provider has its own bucket").isTrue();
        assertThat(RedisTestSupport.keys(clientA, prefix)).contains(prefix + ":ratelimit:smtp", prefix + ":ratelimit:ses");
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
