package io.postline.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.SendResult;
import io.postline.mail.core.Mailer;
import io.postline.mail.event.MailEvent;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The engine and the real SMTP provider together: a primary whose server refuses connections
 * (a closed loopback port) and a backup that works (GreenMail), with the mailer's default settings.
 */
@Timeout(120)
class SmtpFailoverTest {
  @RegisterExtension
  static final GreenMailExtension BACKUP = new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort())
      .withPerMethodLifecycle(true);

  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private Mailer mailer(List<MailEvent> events) throws IOException {
    return Mailer.builder()
        .provider("primary", "smtp://127.0.0.1:" + closedPort() + "?tls=none")
        .provider("backup", "smtp://127.0.0.1:" + BACKUP.getSmtp().getPort() + "?tls=none")
        .listener(events::add)
        .build();
  }

  private static Email email(int i) {
    return Email.builder().from("shop@example.org").to("ann" + i + "@example.org").subject("Order " + i)
        .text("It ships today.").build();
  }

  @Test
  void aSynchronousSendFailsOverAtOnceWhenThePrimaryRefusesConnections() throws Exception {
    List<MailEvent> events = new CopyOnWriteArrayList<>();
    try (Mailer mailer = mailer(events)) {
      SendResult result = mailer.send(email(1));

      assertThat(result.provider()).isEqualTo("backup");
      assertThat(result.attempts()).as("no retry against a refused connection").isEqualTo(2);
      assertThat(events).filteredOn(e -> e instanceof MailEvent.AttemptFailed).singleElement()
          .satisfies(e -> assertThat(((MailEvent.AttemptFailed) e).kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE));
      assertThat(events).noneMatch(e -> e instanceof MailEvent.RetryScheduled);
      assertThat(BACKUP.getReceivedMessages()).hasSize(1);
    }
  }

  @Test
  void queuedMessagesReachTheBackupWithinASecondAtP99() throws Exception {
    List<MailEvent> events = new CopyOnWriteArrayList<>();
    int count = 100;
    try (Mailer mailer = mailer(events)) {
      // A steady 50 messages a second: what is measured is the failover, not a backlog.
      long start = System.nanoTime();
      for (int i = 0; i < count; i++) {
        long due = start + i * 20_000_000L;
        await().pollInterval(Duration.ofMillis(1)).atMost(Duration.ofSeconds(10)).until(() -> System.nanoTime() >= due);
        mailer.enqueue(email(i));
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> BACKUP.getReceivedMessages().length == count);
    }
    Map<String, Instant> queued = new ConcurrentHashMap<>();
    List<Duration> latencies = new ArrayList<>();
    for (MailEvent e : events) {
      if (e instanceof MailEvent.Queued q) {
        queued.put(q.mailId(), q.timestamp());
      } else if (e instanceof MailEvent.Sent s) {
        assertThat(s.provider()).isEqualTo("backup");
        latencies.add(Duration.between(queued.get(s.mailId()), s.timestamp()));
      }
    }
    latencies.sort(null);
    Duration p99 = latencies.get((int) Math.ceil(latencies.size() * 0.99) - 1);
    assertThat(latencies).hasSize(count);
    assertThat(p99).as("enqueue-to-sent p99 with the primary refusing connections").isLessThan(Duration.ofSeconds(1));
    assertThat(events).as("a refused connection is never retried with backoff")
        .noneMatch(e -> e instanceof MailEvent.RetryScheduled);
  }
}
