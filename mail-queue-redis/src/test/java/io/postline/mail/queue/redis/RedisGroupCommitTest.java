package io.postline.mail.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.postline.mail.Email;
import io.postline.mail.MailOutcomeUnknownException;
import io.postline.mail.Priority;
import io.postline.mail.core.Lease;
import io.postline.mail.core.QueueFullException;
import io.postline.mail.core.QueuedMail;
import io.postline.mail.tck.DroppingProxy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Single enqueues, takes and acks of several threads that arrive while a call is under way go to
 * Redis together in one script call (group commit). Against a real Redis kept busy for a moment by a
 * script on another connection, so that the first call waits and the callers behind it go as one
 * group; each still gets its own answer: its own place within the capacity, its own lease, its own
 * ack result, and (through a proxy that loses the replies) its own id in an unknown outcome and
 * its own leases on a retried take.
 */
@Timeout(90)
class RedisGroupCommitTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(4);
  private final String prefix = RedisTestSupport.uniquePrefix();
  private final String marker = "grouped-" + UUID.randomUUID();
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private DroppingProxy proxy;
  private RedisClient viaProxy;
  private RedisClient direct;

  @BeforeEach
  void start() throws Exception {
    proxy = RedisTestSupport.droppingProxy();
    viaProxy = RedisTestSupport.client(proxy);
    direct = RedisTestSupport.client();
  }

  @AfterEach
  void stop() throws Exception {
    pool.shutdownNow();
    viaProxy.shutdown();
    proxy.close();
    RedisTestSupport.cleanup(direct, prefix);
    direct.shutdown();
  }

  private RedisMailQueue queue(RedisClient client, long capacity) {
    return RedisMailQueue.builder(client).keyPrefix(prefix).name("mail").operationTimeout(TIMEOUT)
        .capacity(capacity).build();
  }

  private static QueuedMail mail(String id, String subject) {
    Instant now = Instant.now();
    Email email = Email.builder().from("shop@example.org").to("ann@example.org").subject(subject).text("hello")
        .build();
    return new QueuedMail(id, email, 0, now, now, Optional.empty());
  }

  /**
   * Keeps Redis busy for about a second (a script that loops on TIME, on a connection of its own),
   * so that the first call of a group waits and the callers behind it queue up.
   */
  private void busyRedis() {
    var connection = direct.connect();
    connection.async().eval("local t = redis.call('TIME') local start = t[1] * 1000000 + t[2] "
        + "repeat local n = redis.call('TIME') until n[1] * 1000000 + n[2] - start > 1000000 return 1",
        io.lettuce.core.ScriptOutputType.INTEGER).whenComplete((r, e) -> connection.closeAsync());
  }

  /** Runs the tasks, each in a thread of its own, and waits until every one is parked in the queue. */
  private <T> List<Future<T>> parkedTogether(List<java.util.concurrent.Callable<T>> tasks) {
    List<Thread> threads = new CopyOnWriteArrayList<>();
    List<Future<T>> results = new ArrayList<>();
    for (java.util.concurrent.Callable<T> task : tasks) {
      results.add(pool.submit(() -> {
        threads.add(Thread.currentThread());
        return task.call();
      }));
    }
    // Parked (WAITING) only in the group commit: the one call under way, the others queued behind it.
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> threads.size() == tasks.size()
        && threads.stream().allMatch(t -> t.getState() == Thread.State.WAITING));
    return results;
  }

  /** Enqueues messages {@code idPrefix}1 to {@code idPrefix}n one by one; their ids. */
  private static List<String> enqueued(RedisMailQueue queue, String idPrefix, int n, String subject) {
    List<String> ids = IntStream.rangeClosed(1, n).mapToObj(i -> idPrefix + i).toList();
    for (String id : ids) {
      queue.enqueue(mail(id, subject));
    }
    return ids;
  }

  private static java.util.concurrent.Callable<Throwable> enqueueing(RedisMailQueue queue, QueuedMail mail) {
    return () -> {
      try {
        queue.enqueue(mail);
        return null;
      } catch (RuntimeException e) {
        return e;
      }
    };
  }

  @Test
  void aGroupedEnqueueWhoseReplyIsLostIsTriedAgainAloneAndEachFailureNamesItsOwnMessage() throws Exception {
    try (RedisMailQueue queue = queue(viaProxy, 1_000); RedisMailQueue observer = queue(direct, 1_000)) {
      proxy.dropRepliesTo(marker);
      busyRedis();
      List<QueuedMail> mails = IntStream.rangeClosed(0, 4).mapToObj(i -> mail("lost-" + i, marker)).toList();
      List<Future<Throwable>> results = parkedTogether(mails.stream().map(m -> enqueueing(queue, m)).toList());

      for (int i = 0; i < mails.size(); i++) {
        String id = "lost-" + i;
        Throwable failure = results.get(i).get(60, TimeUnit.SECONDS);
        // Said in its own terms: unknown (a try reached Redis, its reply was lost) or, if no try
        // got through the reconnects, unavailable with nothing stored; never another message's id.
        assertThat(failure).isInstanceOfAny(MailOutcomeUnknownException.class, RedisUnavailableException.class)
            .hasMessageStartingWith("enqueue of message " + id + " to queue ")
            .hasMessageNotContaining("hello");
        if (failure instanceof MailOutcomeUnknownException unknown) {
          assertThat(unknown.mailId()).isEqualTo(id);
        }
      }
      assertThat(proxy.dropped()).isPositive();
      proxy.passThrough();
      for (QueuedMail m : mails) {
        queue.enqueue(m);
      }
      assertThat(observer.counts().ready().get(Priority.NORMAL)).isEqualTo(5);
    }
  }

  @Test
  void aGroupOverTheCapacityTogetherStoresEachThatFitsAloneAndRefusesTheRest() throws Exception {
    try (RedisMailQueue queue = queue(direct, 3)) {
      busyRedis();
      List<QueuedMail> mails = IntStream.rangeClosed(0, 6).mapToObj(i -> mail("cap-" + i, "plain")).toList();
      List<Future<Throwable>> results = parkedTogether(mails.stream().map(m -> enqueueing(queue, m)).toList());

      int stored = 0;
      int refused = 0;
      for (Future<Throwable> r : results) {
        Throwable t = r.get(30, TimeUnit.SECONDS);
        if (t == null) {
          stored++;
        } else {
          assertThat(t).isInstanceOf(QueueFullException.class).hasMessageContaining("cannot take 1 more message");
          refused++;
        }
      }
      assertThat(stored).isEqualTo(3);
      assertThat(refused).isEqualTo(4);
      assertThat(queue.counts().ready().get(Priority.NORMAL)).isEqualTo(3);
    }
  }

  @Test
  void acksQueuedBehindACallGoTogetherAndEachGetsItsOwnAnswer() throws Exception {
    try (RedisMailQueue queue = queue(direct, 1_000)) {
      List<String> ids = enqueued(queue, "ack-", 5, "plain");
      List<Lease> leases = queue.take(10, Duration.ofSeconds(5), Duration.ofMinutes(1));
      assertThat(leases).extracting(Lease::id).containsExactlyElementsOf(ids);
      Lease stale = new Lease(leases.get(1).mail(), leases.get(1).token() - 1, leases.get(1).expiresAt());
      List<Lease> acks = new ArrayList<>(leases);
      acks.add(2, stale);

      busyRedis();
      List<Future<Boolean>> answers = parkedTogether(acks.stream()
          .map(l -> (java.util.concurrent.Callable<Boolean>) () -> queue.ack(l)).toList());

      List<Boolean> got = new ArrayList<>();
      for (Future<Boolean> f : answers) {
        got.add(f.get(30, TimeUnit.SECONDS));
      }
      // The stale token is refused whether it went before or after the current one.
      assertThat(got).containsExactly(true, true, false, true, true, true);
      assertThat(queue.counts().leased()).isZero();
      assertThat(queue.ack(leases.get(0))).as("a repeated ack with the same token is answered again").isTrue();
    }
  }

  private static java.util.concurrent.Callable<List<Lease>> taking(RedisMailQueue queue) {
    return () -> queue.take(1, Duration.ofSeconds(20), Duration.ofMinutes(1));
  }

  @Test
  void takesQueuedBehindACallGoTogetherAndEachGetsItsOwnLease() throws Exception {
    try (RedisMailQueue queue = queue(direct, 1_000)) {
      List<String> ids = enqueued(queue, "take-", 6, "plain");
      busyRedis();
      List<Future<List<Lease>>> answers = parkedTogether(ids.stream().map(id -> taking(queue)).toList());

      List<Lease> leases = new ArrayList<>();
      for (Future<List<Lease>> f : answers) {
        List<Lease> one = f.get(30, TimeUnit.SECONDS);
        assertThat(one).as("each taker gets the one message it asked for").hasSize(1);
        leases.addAll(one);
      }
      assertThat(leases).extracting(Lease::id).containsExactlyInAnyOrderElementsOf(ids);
      assertThat(leases).extracting(Lease::token).doesNotHaveDuplicates();
      for (Lease lease : leases) {
        assertThat(queue.ack(lease)).isTrue();
      }
      assertThat(queue.counts().leased()).isZero();
    }
  }

  @Test
  void aGroupedTakeWhoseReplyIsLostGivesEachTakerItsOwnLeasesOnTheRetry() throws Exception {
    try (RedisMailQueue queue = queue(viaProxy, 1_000); RedisMailQueue observer = queue(direct, 1_000)) {
      List<String> ids = enqueued(observer, "lost-take-", 5, marker);
      // Every take names the queue's keys: replies are dropped until one was.
      proxy.dropRepliesTo(prefix);
      busyRedis();
      List<Future<List<Lease>>> answers = parkedTogether(ids.stream().map(id -> taking(queue)).toList());
      // Two calls went out alone, and the first reply lost drops the connection under both; the
      // three takers queued behind them go together in the next call, sent at once, whose reply is
      // lost with the next connection; then the retries of the first two.
      Awaitility.await().atMost(Duration.ofSeconds(40)).until(() -> proxy.dropped() >= 3);
      proxy.passThrough();

      List<Lease> leases = new ArrayList<>();
      for (Future<List<Lease>> f : answers) {
        leases.addAll(f.get(60, TimeUnit.SECONDS));
      }
      // A lost call's leases come back to the takers it carried, on their retries: none is left
      // leased by nobody until its lease lapses (then a taker would have found nothing to take).
      assertThat(leases).extracting(Lease::id).containsExactlyInAnyOrderElementsOf(ids);
      assertThat(observer.counts().leased()).isEqualTo(5);
      assertThat(observer.counts().ready().get(Priority.NORMAL)).isZero();
      for (Lease lease : leases) {
        assertThat(queue.ack(lease)).as("the tokens returned are the current ones").isTrue();
      }
    }
  }

  @Test
  void groupedCallsLoadTheirScriptAgainAfterRedisForgotIt() throws Exception {
    // A Redis of its own: SCRIPT FLUSH on the shared one would make other tests' scripts vanish.
    try (RedisServerProcess redis = new RedisServerProcess()) {
      redis.start();
      RedisClient client = RedisTestSupport.client(redis.url());
      try (RedisMailQueue queue = RedisMailQueue.builder(client).keyPrefix(prefix).name("mail").build();
          var admin = client.connect()) {
        queue.enqueue(mail("flush-1", "plain"));
        admin.sync().scriptFlush(); // as after a restart: EVALSHA answers NOSCRIPT
        queue.enqueue(mail("flush-2", "plain"));
        List<Lease> leases = queue.take(10, Duration.ofSeconds(5), Duration.ofMinutes(1));
        assertThat(leases).extracting(Lease::id).containsExactly("flush-1", "flush-2");
        admin.sync().scriptFlush();
        assertThat(queue.ack(leases.get(0))).isTrue();
        assertThat(queue.ack(leases.get(1))).isTrue();
        assertThat(queue.counts().leased()).isZero();
      } finally {
        client.shutdown();
      }
    }
  }
}
