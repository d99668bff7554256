package io.postline.mail.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.postline.mail.Address;
import io.postline.mail.SendResult;
import io.postline.mail.core.IdempotencyStore.Claim;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two stores on two clients (two connections, as two JVMs would have). */
@Timeout(60)
class RedisIdempotencyStoreTest {
  private RedisClient clientA;
  private RedisClient clientB;
  private RedisIdempotencyStore a;
  private RedisIdempotencyStore b;
  private String prefix;

  @BeforeEach
  void setUp() {
    prefix = RedisTestSupport.uniquePrefix();
    clientA = RedisTestSupport.client();
    clientB = RedisTestSupport.client();
    a = RedisIdempotencyStore.builder(clientA).keyPrefix(prefix).window(Duration.ofMinutes(5)).build();
    b = RedisIdempotencyStore.builder(clientB).keyPrefix(prefix).window(Duration.ofMinutes(5)).build();
  }

  @AfterEach
  void tearDown() {
    a.close();
    b.close();
    RedisTestSupport.cleanup(clientA, prefix);
    clientA.shutdown();
    clientB.shutdown();
  }

  private static SendResult result() {
    return SendResult.accepted("smtp", "<1@x>", List.of(Address.of("ann@example.org")), Duration.ofMillis(30));
  }

  @Test
  void aKeyClaimedThroughOneStoreIsADuplicateThroughTheOther() {
    assertThat(a.claim("welcome-42", "m-1")).isEmpty();

    assertThat(b.claim("welcome-42", "m-2")).contains(new Claim("m-1", Optional.empty()));
    assertThat(b.find("welcome-42")).contains(new Claim("m-1", Optional.empty()));
    assertThat(b.find("other")).isEmpty();
  }

  @Test
  void theResultRecordedByOneIsSeenByTheOther() {
    a.claim("k", "m-1");

    a.succeeded("k", "m-1", result());

    assertThat(b.claim("k", "m-9")).contains(new Claim("m-1", Optional.of(result())));
  }

  @Test
  void releaseFreesTheKeyOnlyForItsHolder() {
    a.claim("k", "m-1");

    b.release("k", "m-2");
    assertThat(a.find("k")).map(Claim::mailId).contains("m-1");
    b.succeeded("k", "m-2", result());
    assertThat(a.find("k")).contains(new Claim("m-1", Optional.empty()));

    b.release("k", "m-1");
    assertThat(a.find("k")).isEmpty();
    assertThat(b.claim("k", "m-3")).isEmpty();
  }

  @Test
  void ofConcurrentClaimsExactlyOneWins() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Optional<Claim>>> results = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        RedisIdempotencyStore store = i % 2 == 0 ? a : b;
        String mailId = "m-" + i;
        Callable<Optional<Claim>> claim = () -> store.claim("race", mailId);
        results.add(pool.submit(claim));
      }
      long winners = 0;
      for (Future<Optional<Claim>> f : results) {
        if (f.get().isEmpty()) {
          winners++;
        }
      }
      assertThat(winners).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aClaimExpiresAfterTheWindow() {
    try (RedisIdempotencyStore shortWindow = RedisIdempotencyStore.builder(clientA).keyPrefix(prefix)
        .window(Duration.ofMillis(300)).build()) {
      assertThat(shortWindow.claim("brief", "m-1")).isEmpty();
      assertThat(shortWindow.claim("brief", "m-2")).isPresent();

      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> shortWindow.find("brief").isEmpty());
      assertThat(shortWindow.claim("brief", "m-3")).isEmpty();
    }
  }

  @Test
  void theKeyIsStoredHashedAndAnEncryptedResultHidesTheRecipients() {
    EncryptionKeys keys = EncryptionKeys.current("k", new byte[16]);
    try (RedisIdempotencyStore enc = RedisIdempotencyStore.builder(clientA).keyPrefix(prefix).encryption(keys).build();
        RedisIdempotencyStore enc2 = RedisIdempotencyStore.builder(clientB).keyPrefix(prefix).encryption(keys).build()) {
      enc.claim("reset-ann@example.org", "m-1");
      enc.succeeded("reset-ann@example.org", "m-1", result());

      List<String> stored = RedisTestSupport.keys(clientA, prefix);
      assertThat(stored).hasSize(1).noneMatch(k -> k.contains("ann"));
      try (var c = clientA.connect()) {
        String raw = new String(c.sync().hget(stored.get(0), "r").getBytes(StandardCharsets.ISO_8859_1),
            StandardCharsets.ISO_8859_1);
        assertThat(raw).doesNotContain("ann@example.org");
      }
      assertThat(enc2.find("reset-ann@example.org")).contains(new Claim("m-1", Optional.of(result())));
    }
  }
}
