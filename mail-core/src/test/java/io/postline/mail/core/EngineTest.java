package io.postline.mail.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.MailOutcomeUnknownException;
import io.postline.mail.Recipient;
import io.postline.mail.SendResult;
import io.postline.mail.core.internal.Workers;
import io.postline.mail.event.MailEvent;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.ProviderException;
import io.postline.mail.spi.SendOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The one engine: failure paths on real threads, group sends, ownership and the wave-2 builder API. */
class EngineTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final List<Mailer> mailers = new ArrayList<>();
  private final RecordingListener listener = new RecordingListener();

  @AfterEach
  void closeMailers() {
    mailers.forEach(Mailer::close);
  }

  private Mailer build(MailerBuilder builder) {
    Mailer mailer = builder.build();
    mailers.add(mailer);
    return mailer;
  }

  private static Email.Builder email(String to) {
    return Email.builder().from("shop@example.org").to(to).subject("Hi").text("Hello");
  }

  /** A provider whose send runs {@code onSend} first, so a test can make it throw anything. */
  private static MailProvider throwing(String name, Runnable onSend, InMemoryProvider delegate) {
    return new MailProvider() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Capabilities capabilities() {
        return Capabilities.builder().build();
      }

      @Override
      public SendResult send(Email email) throws ProviderException {
        onSend.run();
        return delegate.send(email);
      }
    };
  }

  @Nested
  class NothingAProviderDoesStopsTheSystem {
    @Test
    void anErrorFromAProviderIsThatMessagesFailureAndTheWorkersGoOn() {
      InMemoryProvider sink = new InMemoryProvider("sink");
      AtomicInteger calls = new AtomicInteger();
      MailProvider poison = throwing("poison", () -> {
        if (calls.incrementAndGet() <= 3) {
          throw new StackOverflowError("deep");
        }
      }, sink);
      Mailer mailer = build(Mailer.builder().provider(poison).workers(1).listener(listener)
          .queueRetry(RetryPolicy.exponential(3, Duration.ofMillis(5))));

      Receipt doomed = mailer.enqueue(email("ann@example.org").build());
      await().atMost(WAIT).until(() -> mailer.queueCounts().deadLettered() == 1);
      assertThat(mailer.deadLetters().list(10)).singleElement().satisfies(d -> {
        assertThat(d.id()).isEqualTo(doomed.id());
        assertThat(d.reason()).contains("StackOverflowError").doesNotContain("deep");
      });

      mailer.enqueue(email("bob@example.org").build());
      assertThat(sink.awaitSent(1, WAIT)).singleElement()
          .satisfies(e -> assertThat(e.to().get(0).email()).isEqualTo("bob@example.org"));
      assertThat(mailer.health().workers()).isEqualTo(new MailerHealth.Workers(1, 1, true));
      assertThat(mailer.health().status()).isEqualTo(HealthStatus.UP);
    }

    @Test
    void aClassThatFailsToLoadFailsOverAtOnce() {
      InMemoryProvider backup = new InMemoryProvider("backup");
      MailProvider broken = throwing("broken", () -> {
        throw new NoClassDefFoundError("com/fasterxml/jackson/annotation/JsonSerializeAs");
      }, new InMemoryProvider("unused"));
      Mailer mailer = build(Mailer.builder().provider(broken).provider(backup).listener(listener));

      SendResult result = mailer.send(email("ann@example.org").build());

      assertThat(result.provider()).isEqualTo("backup");
      assertThat(result.attempts()).as("not retried: a class that fails to load fails every time").isEqualTo(2);
      assertThat(listener.events()).filteredOn(e -> e instanceof MailEvent.AttemptFailed).singleElement()
          .satisfies(e -> assertThat(((MailEvent.AttemptFailed) e).kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE));
    }

    @Test
    void aWorkerThatDiesIsCountedAndHealthShowsItMissingWhileNoneReplacesIt() {
      SimpleMeterRegistry meters = new SimpleMeterRegistry();
      java.util.concurrent.atomic.AtomicBoolean die = new java.util.concurrent.atomic.AtomicBoolean();
      java.util.concurrent.atomic.AtomicBoolean refuseThreads = new java.util.concurrent.atomic.AtomicBoolean();
      MailQueue dying = new ForwardingMailQueue(MailQueue.inMemory()) {
        @Override
        public List<Lease> take(int max, Duration wait, Duration leaseFor) throws InterruptedException {
          if (die.compareAndSet(true, false)) {
            refuseThreads.set(true);
            throw new OutOfMemoryError("the queue plugin ran out");
          }
          return super.take(max, Duration.ofMillis(20), leaseFor);
        }
      };
      ThreadFactory refusing = r -> {
        if (refuseThreads.get()) {
          throw new IllegalStateException("no more threads for this test");
        }
        Thread t = new Thread(r, "test-thread");
        t.setDaemon(true);
        return t;
      };
      InMemoryProvider sink = new InMemoryProvider("sink");
      Mailer mailer = build(Mailer.builder().provider(sink).queue(dying).workers(2).threadFactory(refusing)
          .meterRegistry(meters));
      assertThat(mailer.health().status()).isEqualTo(HealthStatus.UP);

      die.set(true);

      await().atMost(WAIT).until(() -> meters.find("postline.mail.workers.died").counter() != null
          && meters.find("postline.mail.workers.died").counter().count() == 1);
      await().atMost(WAIT).until(() -> mailer.health().workers().running() == 1);
      assertThat(mailer.health().status()).as("one of two workers is missing").isEqualTo(HealthStatus.DEGRADED);
      assertThat(meters.get("postline.mail.workers").gauge().value()).isEqualTo(1);
      mailer.enqueue(email("ann@example.org").build());
      assertThat(sink.awaitSent(1, WAIT)).as("the other worker goes on").hasSize(1);
    }

    @Test
    void aWorkerThatDiesIsReplaced() {
      AtomicInteger takes = new AtomicInteger();
      MailQueue dying = new ForwardingMailQueue(MailQueue.inMemory()) {
        @Override
        public List<Lease> take(int max, Duration wait, Duration leaseFor) throws InterruptedException {
          if (takes.incrementAndGet() == 1) {
            throw new StackOverflowError();
          }
          return super.take(max, Duration.ofMillis(50), leaseFor);
        }
      };
      InMemoryProvider sink = new InMemoryProvider("sink");
      Mailer mailer = build(Mailer.builder().provider(sink).queue(dying).workers(1));
      await().atMost(WAIT).until(() -> takes.get() > 2);
      mailer.enqueue(email("ann@example.org").build());
      assertThat(sink.awaitSent(1, WAIT)).hasSize(1);
      assertThat(mailer.health().workers().running()).isEqualTo(1);
    }
  }

  @Nested
  class UnknownOutcomes {
    /** A queue that stores the message, then "loses the reply" the first {@code lost} times. */
    private MailQueue losingReplies(MailQueue real, int lost) {
      AtomicInteger left = new AtomicInteger(lost);
      return new ForwardingMailQueue(real) {
        @Override
        public void enqueue(QueuedMail mail) {
          super.enqueue(mail);
          if (left.getAndDecrement() > 0) {
            throw new MailOutcomeUnknownException(mail.id(), "reply lost", null);
          }
        }
      };
    }

    @Test
    void aLostReplyIsRetriedWithTheSameIdAndTheMessageIsStoredOnce() {
      InMemoryProvider sink = new InMemoryProvider("sink");
      Mailer mailer = build(Mailer.builder().provider(sink).queue(losingReplies(MailQueue.inMemory(), 1)));
      Receipt receipt = mailer.enqueue(email("ann@example.org").build());
      assertThat(sink.awaitSent(1, WAIT)).hasSize(1);
      await().atMost(WAIT).until(() -> mailer.queueCounts().pending() == 0);
      assertThat(receipt.duplicate()).isFalse();
      assertThat(sink.sent()).hasSize(1);
    }

    @Test
    void anOutcomeThatStaysUnknownIsSaidAndTheKeyStaysClaimed() {
      InMemoryProvider sink = new InMemoryProvider("sink");
      Mailer mailer = build(Mailer.builder().provider(sink).workers(1)
          .queue(losingReplies(MailQueue.inMemory(), 100)));

      Email keyed = email("ann@example.org").idempotencyKey("order-42").build();
      MailOutcomeUnknownException unknown = org.assertj.core.api.Assertions.catchThrowableOfType(
          MailOutcomeUnknownException.class, () -> mailer.enqueue(keyed));
      assertThat(unknown.mailId()).hasSize(26);
      assertThat(unknown).hasMessageContaining(unknown.mailId()).hasMessageContaining("may be queued");

      Receipt again = mailer.enqueue(keyed);
      assertThat(again.duplicate()).isTrue();
      assertThat(again.id()).isEqualTo(unknown.mailId());
      assertThat(sink.awaitSent(1, WAIT)).hasSize(1);
      await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> sink.sent().size() == 1);
    }
  }

  @Nested
  class GroupSends {
    /** A provider with native batches of {@code size}, recording each batch call. */
    final class Batching implements MailProvider {
      final InMemoryProvider memory;
      final int size;
      final List<Integer> calls = new CopyOnWriteArrayList<>();
      final AtomicInteger failFirstCalls = new AtomicInteger();

      Batching(String name, int size) {
        this.memory = new InMemoryProvider(name);
        this.size = size;
      }

      @Override
      public String name() {
        return memory.name();
      }

      @Override
      public Capabilities capabilities() {
        return Capabilities.builder().batch(size).build();
      }

      @Override
      public SendResult send(Email email) throws ProviderException {
        calls.add(1);
        return memory.send(email);
      }

      @Override
      public List<SendOutcome> sendBatch(List<Email> emails) {
        calls.add(emails.size());
        List<SendOutcome> out = new ArrayList<>();
        if (failFirstCalls.getAndDecrement() > 0) {
          ProviderException unavailable = ProviderException.builder(FailureKind.TRANSIENT, name(), "503 try later").build();
          emails.forEach(e -> out.add(SendOutcome.failed(e, unavailable)));
          return out;
        }
        for (Email e : emails) {
          try {
            out.add(SendOutcome.sent(e, memory.send(e)));
          } catch (ProviderException f) {
            out.add(SendOutcome.failed(e, f));
          }
        }
        return out;
      }
    }

    private List<Recipient> recipients(int n) {
      List<Recipient> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        out.add(Recipient.of("user" + i + "@example.org", Map.of("name", "User " + i)));
      }
      return out;
    }

    private Email group() {
      return Email.builder().from("news@example.org").template("welcome", Map.of("plan", "Free"))
          .idempotencyKey("launch").build();
    }

    @Test
    void aBatchingProviderGetsChunksOfItsSizeAndEachRecipientItsOwnResult() {
      Batching provider = new Batching("bulk", 3);
      Mailer mailer = build(Mailer.builder().provider(provider));

      BatchResult result = mailer.sendBatch(group(), recipients(7));

      assertThat(result.allSent()).isTrue();
      assertThat(provider.calls).containsExactlyInAnyOrder(3, 3, 1);
      assertThat(result.items()).extracting(i -> i.recipient().email())
          .containsExactly("user0@example.org", "user1@example.org", "user2@example.org", "user3@example.org",
              "user4@example.org", "user5@example.org", "user6@example.org");
      assertThat(provider.memory.sentTo("user4@example.org")).singleElement().satisfies(e -> {
        assertThat(e.text()).get().asString().contains("Hello User 4");
        assertThat(e.idempotencyKey()).contains("launch/user4@example.org");
      });
    }

    @Test
    void aRejectedRecipientFailsAloneAndATransientChunkIsRetried() {
      Batching provider = new Batching("bulk", 10);
      provider.memory.reject("user1@example.org");
      provider.failFirstCalls.set(1);
      Mailer mailer = build(Mailer.builder().provider(provider).retry(RetryPolicy.exponential(3, Duration.ofMillis(1))));

      BatchResult result = mailer.sendBatch(group(), recipients(4));

      assertThat(provider.calls).as("the whole chunk failed once, then went through").containsExactly(4, 4);
      assertThat(result.sent()).hasSize(3);
      assertThat(result.failed()).singleElement()
          .satisfies(i -> assertThat(i.recipient().email()).isEqualTo("user1@example.org"));
    }

    @Test
    void aChunkFailsOverToTheNextProvider() {
      Batching primary = new Batching("primary", 5);
      primary.failFirstCalls.set(100);
      InMemoryProvider backup = new InMemoryProvider("backup");
      Mailer mailer = build(Mailer.builder().provider(primary).provider(backup).retry(RetryPolicy.none()));

      BatchResult result = mailer.sendBatch(group(), recipients(5));

      assertThat(result.allSent()).isTrue();
      assertThat(result.sent()).allSatisfy(i -> assertThat(i.result()).get()
          .satisfies(r -> assertThat(r.provider()).isEqualTo("backup")));
      assertThat(backup.sent()).hasSize(5);
    }

    @Test
    void aRepeatedGroupSendIsDroppedPerRecipient() {
      Batching provider = new Batching("bulk", 100);
      Mailer mailer = build(Mailer.builder().provider(provider));
      mailer.sendBatch(group(), recipients(3));

      BatchResult again = mailer.sendBatch(group(), recipients(4));

      assertThat(again.allSent()).isTrue();
      assertThat(provider.memory.sent()).as("only the new recipient is sent").hasSize(4);
    }

    @Test
    void aQueuedGroupIsWrittenInOneQueueCallPerChunk() {
      List<Integer> writes = new CopyOnWriteArrayList<>();
      MailQueue counting = new ForwardingMailQueue(MailQueue.inMemory()) {
        @Override
        public void enqueueBatch(List<QueuedMail> mails) {
          writes.add(mails.size());
          super.enqueueBatch(mails);
        }

        @Override
        public void enqueue(QueuedMail mail) {
          writes.add(1);
          super.enqueue(mail);
        }
      };
      InMemoryProvider sink = new InMemoryProvider("sink");
      Mailer mailer = build(Mailer.builder().provider(sink).queue(counting));

      List<Receipt> receipts = mailer.enqueueBatch(group(), recipients(1_200));

      assertThat(writes).containsExactly(500, 500, 200);
      assertThat(receipts).hasSize(1_200).extracting(Receipt::id).doesNotHaveDuplicates();
      assertThat(sink.awaitSent(1_200, WAIT)).hasSize(1_200);
      assertThat(mailer.enqueueBatch(group(), recipients(2))).allMatch(Receipt::duplicate);
    }

    @Test
    void aQueuedGroupWithOneBadRecipientQueuesNothing() {
      InMemoryProvider sink = new InMemoryProvider("sink");
      Mailer mailer = build(Mailer.builder().provider(sink).workers(0));
      Email plain = Email.builder().from("news@example.org").subject("s").text("t").build();
      List<Recipient> list = List.of(Recipient.of("a@example.org"), Recipient.of("b@example.org", Map.of("x", 1)));

      assertThatThrownBy(() -> mailer.enqueueBatch(plain, list))
          .isInstanceOfSatisfying(InvalidEmailException.class, e -> assertThat(e.problems()).singleElement()
              .asString().startsWith("recipient 1 (b***@example.org)"));
      assertThat(mailer.queueCounts().pending()).isZero();
    }

    @Test
    void anEmailWithoutRecipientsIsOnlyForGroups() {
      Mailer mailer = build(Mailer.builder().provider(new InMemoryProvider("m")));
      Email plain = Email.builder().from("news@example.org").subject("s").text("t").build();
      assertThatThrownBy(() -> mailer.send(plain)).isInstanceOf(InvalidEmailException.class)
          .hasMessageContaining("no recipient");
      assertThatThrownBy(() -> mailer.enqueue(plain)).isInstanceOf(InvalidEmailException.class)
          .hasMessageContaining("no recipient");
    }
  }

  @Nested
  class Lifecycle {
    @Test
    void closeRacingWithSendsEndsEachCallCleanly() throws Exception {
      InMemoryProvider sink = new InMemoryProvider("sink").latency(Duration.ofMillis(2));
      Mailer mailer = Mailer.builder().provider(sink).asyncThreads(2).asyncQueueCapacity(100_000).build();
      ExecutorService callers = Executors.newFixedThreadPool(6);
      CountDownLatch started = new CountDownLatch(6);
      List<Throwable> unexpected = new CopyOnWriteArrayList<>();
      AtomicInteger ok = new AtomicInteger();
      AtomicInteger refused = new AtomicInteger();
      List<Future<?>> loops = new ArrayList<>();
      for (int c = 0; c < 6; c++) {
        int kind = c % 3;
        loops.add(callers.submit(() -> {
          started.countDown();
          for (int i = 0; i < 2_000; i++) {
            try {
              Email e = email("ann@example.org").build();
              switch (kind) {
                case 0 -> mailer.send(e);
                case 1 -> mailer.enqueue(e);
                default -> mailer.sendAsync(e).get(10, TimeUnit.SECONDS);
              }
              ok.incrementAndGet();
            } catch (IllegalStateException closed) {
              if (!"the Mailer is closed".equals(closed.getMessage())) {
                unexpected.add(closed);
              }
              refused.incrementAndGet();
              return null;
            } catch (Throwable t) {
              unexpected.add(t);
              return null;
            }
          }
          return null;
        }));
      }
      started.await();
      await().atMost(WAIT).until(() -> ok.get() > 50);
      CompletableFuture<List<QueuedMail>> closing = CompletableFuture.supplyAsync(
          () -> mailer.shutdown(Duration.ofSeconds(10)));
      closing.get(30, TimeUnit.SECONDS);
      for (Future<?> loop : loops) {
        loop.get(30, TimeUnit.SECONDS);
      }
      callers.shutdownNow();

      assertThat(unexpected).as("every call completed or was refused as closed").isEmpty();
      assertThat(refused.get()).isGreaterThan(0);
    }

    @Test
    void aProducerOnlyMailerEnqueuesAndNeverTakes() {
      MailQueue shared = MailQueue.inMemory();
      InMemoryProvider sink = new InMemoryProvider("sink");
      Mailer producer = build(Mailer.builder().provider(sink).queue(shared).workers(0));
      producer.enqueue(email("ann@example.org").build());
      await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> shared.counts().pending() == 1);
      assertThat(sink.sent()).isEmpty();
      assertThat(producer.health().workers()).isEqualTo(new MailerHealth.Workers(0, 0, false));

      build(Mailer.builder().provider(sink).queue(shared).workers(1));
      assertThat(sink.awaitSent(1, WAIT)).hasSize(1);
    }

    @Test
    void theMailersThreadsComeFromTheApplicationsFactory() {
      List<String> made = new CopyOnWriteArrayList<>();
      ThreadFactory factory = r -> {
        Thread t = new Thread(r, "app-" + made.size());
        made.add(t.getName());
        t.setDaemon(true);
        return t;
      };
      List<String> sentOn = new CopyOnWriteArrayList<>();
      InMemoryProvider sink = new InMemoryProvider("sink");
      Mailer mailer = build(Mailer.builder().provider(sink).workers(2).threadFactory(factory)
          .listener(e -> {
            if (e instanceof MailEvent.Sent) {
              sentOn.add(Thread.currentThread().getName());
            }
          }));
      mailer.enqueue(email("ann@example.org").build());
      mailer.sendAsync(email("bob@example.org").build()).join();
      sink.awaitSent(2, WAIT);
      await().atMost(WAIT).until(() -> sentOn.size() == 2);
      assertThat(sentOn).as("the queued and the async send ran on the application's threads")
          .allMatch(n -> n.startsWith("app-"));
      assertThat(made).hasSizeGreaterThanOrEqualTo(3);
    }
  }

  @Nested
  class Configuration {
    @Test
    void providerOptionsSetRateLimitTimeoutWeightAndBreakerInOnePlace() {
      MutableClock clock = MutableClock.at(Instant.parse("2026-06-01T00:00:00Z"));
      InMemoryProvider a = new InMemoryProvider("a");
      InMemoryProvider b = new InMemoryProvider("b");
      Mailer mailer = build(Mailer.builder().clock(clock).routing(Routing.roundRobin())
          .provider(a, p -> p.weight(3).rateLimit(100, Duration.ofSeconds(1)).timeout(Duration.ofSeconds(5)))
          .provider(b, p -> p.circuitBreaker(CircuitBreakerSettings.defaults().withSlidingWindow(2, 2))));
      for (int i = 0; i < 8; i++) {
        mailer.send(email("ann@example.org").build());
      }
      assertThat(a.sent()).hasSize(6);
      assertThat(b.sent()).hasSize(2);
    }

    @Test
    void theApplicationsRegistriesHoldTheBreakersAndRetries() {
      CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
      RetryRegistry retries = RetryRegistry.ofDefaults();
      InMemoryProvider primary = new InMemoryProvider("primary");
      Mailer mailer = build(Mailer.builder().provider(primary).circuitBreakerRegistry(breakers)
          .retryRegistry(retries).retry(RetryPolicy.exponential(3, Duration.ofMillis(1))));
      primary.failNext(1, FailureKind.TRANSIENT);

      mailer.send(email("ann@example.org").build());

      assertThat(breakers.find("primary")).isPresent();
      assertThat(breakers.circuitBreaker("primary").getMetrics().getNumberOfFailedCalls()).isEqualTo(1);
      assertThat(retries.find("primary")).isPresent();
      assertThat(retries.find("primary.queued")).isPresent();
      assertThat(retries.retry("primary").getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt())
          .as("the Resilience4j retry decided the wait").isEqualTo(1);
    }

    @Test
    void aRetryAfterLongerThanTheBackoffIsHonoured() {
      MutableClock clock = MutableClock.at(Instant.parse("2026-06-01T00:00:00Z"));
      List<Duration> waits = new CopyOnWriteArrayList<>();
      InMemoryProvider primary = new InMemoryProvider("primary");
      primary.failNext(1, FailureKind.RATE_LIMITED, Duration.ofSeconds(2));
      Mailer mailer = build(Mailer.builder().provider(primary).clock(clock).listener(listener)
          .sleeper(clock::advance).retry(RetryPolicy.exponential(3, Duration.ofMillis(10)).withJitter(0)));
      mailer.send(email("ann@example.org").build());
      listener.events().stream().filter(e -> e instanceof MailEvent.RetryScheduled)
          .forEach(e -> waits.add(((MailEvent.RetryScheduled) e).delay()));
      assertThat(waits).containsExactly(Duration.ofSeconds(2));
    }

    @Test
    void sendAtIsCheckedAgainstTheMailersClock() {
      MutableClock clock = MutableClock.at(Instant.parse("2030-01-01T00:00:00Z"));
      Mailer mailer = build(Mailer.builder().provider(new InMemoryProvider("m")).clock(clock).workers(0));
      Email lastYear = email("ann@example.org").sendAt(Instant.parse("2029-01-01T00:00:00Z")).build();
      assertThatThrownBy(() -> mailer.enqueue(lastYear)).isInstanceOf(InvalidEmailException.class)
          .hasMessageContaining("sendAt is more than 30 days in the past");
      Email nextWeek = email("ann@example.org").sendAt(Instant.parse("2030-01-08T00:00:00Z")).build();
      assertThat(mailer.enqueue(nextWeek).duplicate()).isFalse();
      assertThat(mailer.queueCounts().scheduled()).isEqualTo(1);
    }
  }

  @Nested
  class Leases {
    @Test
    void aRenewalThatLosesTheRaceWithTheCompletionIsNotReportedAsALostLease() {
      ch.qos.logback.classic.Logger workersLog =
          (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Workers.class);
      ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
          new ch.qos.logback.core.read.ListAppender<>();
      logged.start();
      workersLog.addAppender(logged);
      CountDownLatch renewedAfterAck = new CountDownLatch(1);
      java.util.concurrent.atomic.AtomicBoolean acked = new java.util.concurrent.atomic.AtomicBoolean();
      MailQueue racing = new ForwardingMailQueue(MailQueue.inMemory()) {
        @Override
        public boolean ack(Lease lease) {
          boolean done = super.ack(lease);
          acked.set(true);
          try {
            // The message is finished but its worker not yet: give the renewer (every 20 ms) ten
            // chances to try the finished lease in this window, where the race used to warn.
            renewedAfterAck.await(200, TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return done;
        }

        @Override
        public java.util.Optional<Lease> renew(Lease lease, Duration leaseFor) {
          java.util.Optional<Lease> renewed = super.renew(lease, leaseFor);
          if (acked.get()) {
            renewedAfterAck.countDown();
          }
          return renewed;
        }
      };
      InMemoryProvider sink = new InMemoryProvider("sink");
      try {
        Mailer mailer = build(Mailer.builder().provider(sink).queue(racing).workers(1)
            .leaseDuration(Duration.ofMillis(60)));
        mailer.enqueue(email("ann@example.org").build());
        assertThat(sink.awaitSent(1, WAIT)).hasSize(1);
        await().atMost(WAIT).until(() -> mailer.queueCounts().leased() == 0 && acked.get());
        mailer.close();
        assertThat(logged.list).extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
            .noneMatch(m -> m.contains("Could not renew the lease"));
      } finally {
        workersLog.detachAppender(logged);
      }
    }
  }
}
