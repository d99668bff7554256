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
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
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
 * Single enqueues and acks of several threads that arrive while a call is under way go to Redis
 * together in one script call (group commit). Against a real Redis, through a proxy that loses the
 * replies to one caller's command: the callers queued behind it then go as one group, and each
 * still gets its own answer: its own id in an unknown outcome, its own place within the capacity,
 * its own ack result.
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
    URI target = URI.create(RedisTestSupport.URL);
    proxy = new DroppingProxy(target.getHost(), target.getPort());
    viaProxy = RedisTestSupport.client("redis://127.0.0.1:" + proxy.port());
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

  /** Starts the enqueues and waits until all of them are parked behind the call under way. */
  private List<Future<Throwable>> enqueueBehind(RedisMailQueue queue, List<QueuedMail> mails) {
    List<Thread> threads = new CopyOnWriteArrayList<>();
    List<Future<Throwable>> results = new ArrayList<>();
    CountDownLatch started = new CountDownLatch(mails.size());
    for (QueuedMail m : mails) {
      results.add(pool.submit(() -> {
        threads.add(Thread.currentThread());
        started.countDown();
        try {
          queue.enqueue(m);
          return null;
        } catch (RuntimeException e) {
          return e;
        }
      }));
    }
    try {
      assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
    Awaitility.await().atMost(Duration.ofSeconds(5))
        .until(() -> threads.size() == mails.size() && threads.stream().allMatch(t -> t.getState() == Thread.State.WAITING));
    return results;
  }

  @Test
  void enqueuesQueuedBehindALostReplyGoTogetherAndEachFailureNamesItsOwnMessage() throws Exception {
    try (RedisMailQueue queue = queue(viaProxy, 1_000); RedisMailQueue observer = queue(direct, 1_000)) {
      proxy.dropRepliesTo(marker);
      Future<Throwable> first = pool.submit(() -> {
        try {
          queue.enqueue(mail("lost-0", marker));
          return null;
        } catch (RuntimeException e) {
          return e;
        }
      });
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> proxy.dropped() > 0);
      List<QueuedMail> behind = IntStream.rangeClosed(1, 4).mapToObj(i -> mail("lost-" + i, marker)).toList();
      List<Future<Throwable>> results = enqueueBehind(queue, behind);

      assertThat(first.get(30, TimeUnit.SECONDS)).isInstanceOfSatisfying(MailOutcomeUnknownException.class,
          e -> assertThat(e.mailId()).isEqualTo("lost-0"));
      for (int i = 0; i < behind.size(); i++) {
        String id = "lost-" + (i + 1);
        assertThat(results.get(i).get(30, TimeUnit.SECONDS))
            .isInstanceOfSatisfying(MailOutcomeUnknownException.class, e -> assertThat(e.mailId()).isEqualTo(id))
            .hasMessageStartingWith("enqueue of message " + id + " to queue ")
            .hasMessageContaining("the outcome is unknown")
            .hasMessageNotContaining("lost-0").hasMessageNotContaining("hello");
      }
      // Each was stored once (the lost replies came after Redis ran the scripts); again stores nothing new.
      assertThat(observer.counts().ready().get(Priority.NORMAL)).isEqualTo(5);
      proxy.passThrough();
      for (QueuedMail m : behind) {
        queue.enqueue(m);
      }
      assertThat(observer.counts().ready().get(Priority.NORMAL)).isEqualTo(5);
    }
  }

  @Test
  void aGroupOverTheCapacityTogetherStoresEachThatFitsAloneAndRefusesTheRest() throws Exception {
    try (RedisMailQueue queue = queue(viaProxy, 3); RedisMailQueue observer = queue(direct, 3)) {
      proxy.dropRepliesTo(marker);
      Future<Throwable> first = pool.submit(() -> {
        try {
          queue.enqueue(mail("cap-0", marker));
          return null;
        } catch (RuntimeException e) {
          return e;
        }
      });
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> proxy.dropped() > 0);
      List<QueuedMail> behind = IntStream.rangeClosed(1, 6).mapToObj(i -> mail("cap-" + i, "plain")).toList();
      List<Future<Throwable>> results = enqueueBehind(queue, behind);

      assertThat(first.get(30, TimeUnit.SECONDS)).isInstanceOf(MailOutcomeUnknownException.class);
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
      // cap-0 was stored by the try whose reply was lost: two more fit.
      assertThat(stored).isEqualTo(2);
      assertThat(refused).isEqualTo(4);
      assertThat(observer.counts().ready().get(Priority.NORMAL)).isEqualTo(3);
    }
  }

  @Test
  void acksQueuedBehindALostReplyGoTogetherAndEachGetsItsOwnAnswer() throws Exception {
    try (RedisMailQueue queue = queue(viaProxy, 1_000); RedisMailQueue observer = queue(direct, 1_000)) {
      // Stored and taken directly; only the acks go through the proxy. The first one's id holds the marker.
      List<String> ids = new ArrayList<>(List.of(marker));
      IntStream.rangeClosed(1, 4).forEach(i -> ids.add("ack-" + i));
      for (String id : ids) {
        observer.enqueue(mail(id, "plain"));
      }
      List<Lease> leases = observer.take(10, Duration.ofSeconds(5), Duration.ofMinutes(1));
      assertThat(leases).extracting(Lease::id).containsExactlyElementsOf(ids);
      proxy.dropRepliesTo(marker);
      Future<Throwable> first = pool.submit(() -> {
        try {
          queue.ack(leases.get(0));
          return null;
        } catch (RuntimeException e) {
          return e;
        }
      });
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> proxy.dropped() > 0);

      Lease stale = new Lease(leases.get(1).mail(), leases.get(1).token() - 1, leases.get(1).expiresAt());
      List<Lease> behind = List.of(leases.get(1), stale, leases.get(2), leases.get(3), leases.get(4));
      List<Thread> threads = new CopyOnWriteArrayList<>();
      ConcurrentHashMap<Integer, Boolean> answers = new ConcurrentHashMap<>();
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < behind.size(); i++) {
        int n = i;
        done.add(pool.submit(() -> {
          threads.add(Thread.currentThread());
          answers.put(n, queue.ack(behind.get(n)));
        }));
      }
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> threads.size() == behind.size()
          && threads.stream().allMatch(t -> t.getState() == Thread.State.WAITING));

      assertThat(first.get(30, TimeUnit.SECONDS)).isInstanceOf(RedisUnavailableException.class)
          .hasMessageContaining("ack in queue mail");
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
      // The stale token is refused whether it went before or after the current one.
      assertThat(answers).containsEntry(0, true).containsEntry(1, false).containsEntry(2, true)
          .containsEntry(3, true).containsEntry(4, true);
      // The first ack ran in Redis although its replies were lost: nothing is leased any more.
      assertThat(observer.counts().leased()).isZero();
      proxy.passThrough();
      assertThat(queue.ack(leases.get(0))).as("a repeated ack with the same token is answered again").isTrue();
    }
  }
}
