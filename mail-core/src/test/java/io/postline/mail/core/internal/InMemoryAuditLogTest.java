package io.postline.mail.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.core.AuditLog;
import io.postline.mail.core.MutableClock;
import io.postline.mail.event.MailEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class InMemoryAuditLogTest {
  private final MutableClock clock = MutableClock.at(Instant.parse("2026-12-01T10:00:00Z"));

  private MailEvent sending(String id, int attempt) {
    return new MailEvent.Sending(id, clock.instant(), Optional.empty(), "primary", attempt);
  }

  private static List<Integer> attempts(List<MailEvent> events) {
    return events.stream().map(e -> ((MailEvent.Sending) e).attempt()).toList();
  }

  @Test
  void keepsExactlyTheNewestMessagesUpToItsCount() {
    AuditLog log = AuditLog.inMemory(Duration.ofDays(1), 3, clock);
    for (int i = 0; i < 5; i++) {
      log.record(sending("m" + i, 1));
    }
    assertThat(log.find("m0")).isEmpty();
    assertThat(log.find("m1")).isEmpty();
    assertThat(log.find("m2")).hasSize(1);
    assertThat(log.find("m3")).hasSize(1);
    assertThat(log.find("m4")).hasSize(1);
    assertThat(log.toString()).contains("messages=3");
  }

  @Test
  void aLongStoryIsKeptWholeInOrder() {
    AuditLog log = AuditLog.inMemory(Duration.ofDays(1), 2, clock);
    for (int attempt = 1; attempt <= 23; attempt++) {
      log.record(sending("long", attempt));
    }
    assertThat(attempts(log.find("long"))).hasSize(23).isSorted().startsWith(1).endsWith(23);
  }

  @Test
  void forgetsMessagesPastTheirRetentionAfterTheirLastEvent() {
    AuditLog log = AuditLog.inMemory(Duration.ofHours(1), 100, clock);
    log.record(sending("old", 1));
    log.record(sending("busy", 1));
    clock.advance(Duration.ofMinutes(50));
    log.record(sending("busy", 2)); // its retention runs from here
    clock.advance(Duration.ofMinutes(20));

    assertThat(log.find("old")).as("70 minutes after its last event").isEmpty();
    assertThat(log.find("busy")).as("20 minutes after its last event").hasSize(2);
  }

  @Test
  void newMessagesReleaseExpiredOnesFromMemory() {
    // Generations of 10: the first ten messages fill one, which is let go once all of it expired.
    AuditLog log = AuditLog.inMemory(Duration.ofHours(1), 10, clock);
    for (int i = 0; i < 10; i++) {
      log.record(sending("old" + i, 1));
    }
    clock.advance(Duration.ofHours(2));
    log.record(sending("new0", 1));
    assertThat(log.toString()).as("the expired generation is released, not just hidden").contains("messages=1]");
    assertThat(log.find("new0")).hasSize(1);
    assertThat(log.find("old3")).isEmpty();
  }

  @Test
  void aGenerationIsKeptWhileAnyOfItsMessagesIsStillTalkedAbout() {
    AuditLog log = AuditLog.inMemory(Duration.ofHours(1), 10, clock);
    for (int i = 0; i < 10; i++) {
      log.record(sending("old" + i, 1));
    }
    clock.advance(Duration.ofMinutes(50));
    log.record(sending("old7", 2)); // a retry: its retention runs from here
    clock.advance(Duration.ofMinutes(20));
    log.record(sending("new0", 1));

    assertThat(log.find("old7")).hasSize(2);
    assertThat(log.find("old6")).as("70 minutes after its last event").isEmpty();
    assertThat(log.toString()).as("the newest ten of eleven held").contains("messages=10]");

    clock.advance(Duration.ofMinutes(45));
    log.record(sending("new1", 1));
    assertThat(log.find("old7")).isEmpty();
    assertThat(log.toString()).contains("messages=2]");
  }

  @Test
  void aMailIdIsFoundInTheGenerationBeforeWhateverItsAgeAgainstTheOthers() {
    // Ids made before or long before the ones around them are found in whichever generation holds them.
    MailIds ids = new MailIds(clock);
    String early = ids.next();
    String queuedLongAgo = new MailIds(MutableClock.at(Instant.parse("2026-11-30T10:00:00Z"))).next();
    clock.advance(Duration.ofSeconds(1));
    AuditLog log = AuditLog.inMemory(Duration.ofDays(7), 4, clock);
    log.record(sending(ids.next(), 1));
    log.record(sending(early, 1));
    log.record(sending(queuedLongAgo, 1));
    log.record(sending(ids.next(), 1)); // fills the first generation of four
    String late = ids.next();
    log.record(sending(late, 1)); // begins the next

    log.record(sending(early, 2));
    log.record(sending(queuedLongAgo, 2));
    log.record(sending(late, 2));
    assertThat(attempts(log.find(early))).containsExactly(1, 2);
    assertThat(attempts(log.find(queuedLongAgo))).containsExactly(1, 2);
    assertThat(attempts(log.find(late))).containsExactly(1, 2);
  }

  @Test
  void anEventStampedAheadOfTheClockLetsNothingGoEarly() {
    AuditLog log = AuditLog.inMemory(Duration.ofHours(1), 4, clock);
    for (String id : List.of("a", "b", "c", "d", "e")) {
      log.record(sending(id, 1)); // a to d fill the first generation; e begins the next
    }
    // A provider's report stamped two days ahead (its clock, not ours) of a message not seen here.
    log.record(new MailEvent.Delivery("f", clock.instant().plus(Duration.ofDays(2)), Optional.empty(), "primary",
        MailEvent.Delivery.Status.DELIVERED, Optional.empty()));
    assertThat(log.find("c")).as("within its retention by this log's clock").hasSize(1);
    assertThat(log.toString()).contains("messages=4]");
  }

  @Test
  void aMessageForgottenByCountStartsAFreshStory() {
    AuditLog log = AuditLog.inMemory(Duration.ofDays(1), 4, clock);
    log.record(sending("first", 1));
    for (int i = 0; i < 4; i++) {
      log.record(sending("m" + i, 1));
    }
    assertThat(log.find("first")).isEmpty();

    log.record(sending("first", 2));
    assertThat(attempts(log.find("first"))).as("not the forgotten event").containsExactly(2);
  }

  @Test
  void aPlaceHandedBackAppendsToTheStoryItNamed() {
    InMemoryAuditLog log = new InMemoryAuditLog(Duration.ofDays(1), 4, clock);
    Object place = log.record(sending("a", 1), InMemoryAuditLog.UNSEEN);
    place = log.record(sending("a", 2), place);
    log.record(sending("b", 1), null);
    log.record(sending("a", 3), place);
    assertThat(attempts(log.find("a"))).containsExactly(1, 2, 3);
    assertThat(attempts(log.find("b"))).containsExactly(1);
  }

  @Test
  void aPlaceOfAnotherMessageIsNotTrusted() {
    InMemoryAuditLog log = new InMemoryAuditLog(Duration.ofDays(1), 4, clock);
    Object placeOfA = log.record(sending("a", 1), InMemoryAuditLog.UNSEEN);
    log.record(sending("b", 1), null);
    log.record(sending("b", 2), placeOfA); // a caller's mix-up: looked up, not appended to a's story
    assertThat(attempts(log.find("a"))).containsExactly(1);
    assertThat(attempts(log.find("b"))).containsExactly(1, 2);
  }

  @Test
  void aPlaceInAStoryForgottenSinceBeginsAFreshOne() {
    InMemoryAuditLog log = new InMemoryAuditLog(Duration.ofDays(1), 2, clock);
    Object place = log.record(sending("first", 1), InMemoryAuditLog.UNSEEN);
    for (int i = 0; i < 4; i++) {
      log.record(sending("m" + i, 1), InMemoryAuditLog.UNSEEN); // two generations of two go by
    }
    log.record(sending("first", 2), place);
    assertThat(attempts(log.find("first"))).as("its old story was let go; the new event begins another").containsExactly(2);
    assertThat(log.find("m0")).as("the newest two messages only").isEmpty();
  }

  @Test
  void aPlaceInAStoryHiddenByCountBeginsAFreshOne() {
    InMemoryAuditLog log = new InMemoryAuditLog(Duration.ofDays(1), 4, clock);
    Object place = log.record(sending("first", 1), InMemoryAuditLog.UNSEEN);
    for (int i = 0; i < 4; i++) {
      log.record(sending("m" + i, 1), InMemoryAuditLog.UNSEEN); // "first" is still held, but five came after it
    }
    log.record(sending("first", 2), place);
    assertThat(attempts(log.find("first"))).containsExactly(2);
    assertThat(attempts(log.find("m3"))).containsExactly(1);
  }

  @Test
  void storiesBegunWithoutIndexingAreFoundByLookupsRacingThem() throws Exception {
    int threads = 4;
    int messagesPerThread = 5_000;
    InMemoryAuditLog log = new InMemoryAuditLog(Duration.ofDays(1), threads * messagesPerThread, clock);
    ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
    AtomicBoolean sending = new AtomicBoolean(true);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> senders = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        senders.add(pool.submit(() -> {
          start.await();
          for (int m = 0; m < messagesPerThread; m++) {
            Object place = log.record(sending("t" + thread + "-" + m, 1), InMemoryAuditLog.UNSEEN);
            log.record(sending("t" + thread + "-" + m, 2), place);
          }
          return null;
        }));
      }
      // Meanwhile lookups index what the senders placed, waiting for places claimed but not yet filled.
      Future<Integer> finder = pool.submit(() -> {
        start.await();
        int found = 0;
        for (int round = 0; sending.get(); round++) {
          found += log.find("t" + (round % threads) + "-" + (round / threads % messagesPerThread)).isEmpty() ? 0 : 1;
        }
        return found;
      });
      start.countDown();
      for (Future<?> f : senders) {
        f.get(60, TimeUnit.SECONDS);
      }
      sending.set(false);
      assertThat(finder.get(60, TimeUnit.SECONDS)).as("lookups found stories while they were being placed").isPositive();
    } finally {
      pool.shutdownNow();
    }
    for (int t = 0; t < threads; t++) {
      for (int m = 0; m < messagesPerThread; m++) {
        assertThat(attempts(log.find("t" + t + "-" + m))).as("t%d-%d", t, m).containsExactly(1, 2);
      }
    }
  }

  @Test
  void concurrentAppendsFromManyThreadsLoseNothing() throws Exception {
    int threads = 8;
    int messagesPerThread = 2_000;
    int eventsPerMessage = 6; // more than one chunk
    // Room for every message, and for the places threads racing to begin "shared" may each take.
    AuditLog log = AuditLog.inMemory(Duration.ofDays(1), threads * messagesPerThread + 1 + threads, clock);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          start.await();
          for (int m = 0; m < messagesPerThread; m++) {
            for (int attempt = 1; attempt <= eventsPerMessage; attempt++) {
              log.record(sending("t" + thread + "-" + m, attempt));
              // Every thread also appends to one shared message, so its positions are claimed in a race.
              log.record(sending("shared", 1));
            }
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    for (int t = 0; t < threads; t++) {
      for (int m = 0; m < messagesPerThread; m++) {
        assertThat(attempts(log.find("t" + t + "-" + m))).containsExactly(1, 2, 3, 4, 5, 6);
      }
    }
    assertThat(log.find("shared")).hasSize(threads * messagesPerThread * eventsPerMessage);
  }

  @Test
  void findWhileAppendingSeesAGrowingPrefixOfTheStory() throws Exception {
    AuditLog log = AuditLog.inMemory(Duration.ofDays(1), 10, clock);
    int events = 20_000;
    AtomicBoolean writing = new AtomicBoolean(true);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<?> writer = pool.submit(() -> {
        for (int attempt = 1; attempt <= events; attempt++) {
          log.record(sending("m", attempt));
        }
        writing.set(false);
      });
      int seen = 0;
      int reads = 0;
      while (writing.get() || reads == 0) {
        List<Integer> read = attempts(log.find("m"));
        // A prefix: 1, 2, 3, ... with no gap, never shorter than an earlier read.
        for (int i = 0; i < read.size(); i++) {
          assertThat(read.get(i)).isEqualTo(i + 1);
        }
        assertThat(read.size()).isGreaterThanOrEqualTo(seen);
        seen = read.size();
        reads++;
      }
      writer.get(60, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    assertThat(attempts(log.find("m"))).hasSize(events);
  }
}
