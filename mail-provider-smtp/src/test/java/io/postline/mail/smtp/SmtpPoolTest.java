package io.postline.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.SendResult;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.RetryPolicy;
import io.postline.mail.smtp.ScriptedSmtpServer.Step;
import io.postline.mail.spi.ProviderException;
import io.postline.mail.tck.DeliveredMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The connection pool, observed at the server: connections counted by the server or a counting front. */
@Timeout(120)
class SmtpPoolTest {
  @RegisterExtension
  static final GreenMailExtension GREENMAIL = new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort())
      .withPerMethodLifecycle(true);

  @RegisterExtension
  final Closer closer = new Closer();
  final ExecutorService threads = Executors.newFixedThreadPool(8);

  @AfterEach
  void close() throws Exception {
    threads.shutdownNow();
  }

  static Email email(int i) {
    return Email.builder().from("shop@example.org").to("user" + (i % 10) + "@example.org")
        .subject("Message " + i).text("Body " + i).build();
  }

  SmtpProvider.Builder plain(int port) {
    return SmtpProvider.builder("127.0.0.1").name("pooled").port(port).tls(TlsMode.NONE)
        .connectTimeout(Duration.ofSeconds(5)).readTimeout(Duration.ofSeconds(10));
  }

  @Test
  void aThousandMessagesFromEightThreadsOpenNoMoreThanThePoolSize() throws Exception {
    SmtpFront front = closer.add(SmtpFront.plain(GREENMAIL.getSmtp().getPort()));
    SmtpProvider smtp = closer.add(plain(front.port()).poolSize(3).messagesPerConnection(10_000).build());

    List<Future<SendResult>> results = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      int n = i;
      results.add(threads.submit(() -> smtp.send(email(n))));
    }
    for (Future<SendResult> r : results) {
      assertThat(r.get(60, TimeUnit.SECONDS).accepted()).hasSize(1);
    }

    assertThat(front.accepted()).as("connections opened").isBetween(1, 3);
    assertThat(front.maxOpen()).as("connections open at once").isLessThanOrEqualTo(3);
    assertThat(GREENMAIL.getReceivedMessages()).hasSize(1000);
    smtp.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> front.open() == 0);
    assertThat(front.quits()).isEqualTo(front.accepted());
    assertThat(front.messagesPerConnection().stream().mapToInt(Integer::intValue).sum()).isEqualTo(1000);
  }

  @Test
  void aConnectionDroppedByTheServerMidSessionIsReplacedAndTheMessageRetriedByTheCore() throws Exception {
    SmtpFront front = closer.add(SmtpFront.plain(GREENMAIL.getSmtp().getPort()));
    SmtpProvider smtp = plain(front.port()).poolSize(1).build();
    Mailer mailer = closer.add(Mailer.builder().provider(smtp)
        .retry(RetryPolicy.exponential(3, Duration.ofMillis(20))).build());
    mailer.send(email(1));
    AtomicBoolean dropped = new AtomicBoolean();
    front.dropWhen(line -> line.equalsIgnoreCase("DATA") && dropped.compareAndSet(false, true));

    SendResult result = mailer.send(email(2));

    assertThat(dropped).isTrue();
    assertThat(result.attempts()).isEqualTo(2);
    assertThat(front.accepted()).isEqualTo(2);
    List<DeliveredMessage> delivered = GreenMailInbox.read(GREENMAIL);
    assertThat(delivered).extracting(DeliveredMessage::subject).containsExactly("Message 1", "Message 2");
  }

  @Test
  void aConnectionTheServerClosedWhileIdleIsReplacedWithoutAFailure() throws Exception {
    SmtpFront front = closer.add(SmtpFront.plain(GREENMAIL.getSmtp().getPort()));
    SmtpProvider smtp = closer.add(plain(front.port()).poolSize(1).validateAfterIdle(Duration.ZERO).build());
    smtp.send(email(1));
    front.dropWhen(line -> line.equalsIgnoreCase("RSET") && front.accepted() == 1);

    SendResult result = smtp.send(email(2));

    assertThat(result.accepted()).hasSize(1);
    assertThat(front.accepted()).isEqualTo(2);
    assertThat(GreenMailInbox.read(GREENMAIL)).hasSize(2);
  }

  @Test
  void anIdleConnectionIsCheckedWithRsetBeforeReuse() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    SmtpProvider smtp = closer.add(plain(server.port()).validateAfterIdle(Duration.ZERO).build());

    smtp.send(email(1));
    smtp.send(email(2));

    List<String> commands = server.commands(1).stream().map(c -> c.split("[ :]")[0]).toList();
    int firstMail = commands.indexOf("MAIL");
    int secondMail = commands.lastIndexOf("MAIL");
    assertThat(secondMail).isGreaterThan(firstMail);
    assertThat(commands.subList(firstMail, secondMail)).contains("RSET");
    assertThat(server.connections()).isEqualTo(1);
  }

  @Test
  void aRecentlyUsedConnectionIsReusedWithoutACheck() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    SmtpProvider smtp = closer.add(plain(server.port()).validateAfterIdle(Duration.ofMinutes(5)).build());

    smtp.send(email(1));
    smtp.send(email(2));

    assertThat(server.commands(1)).noneMatch(c -> c.equals("RSET"));
    assertThat(server.received()).hasSize(2);
  }

  @Test
  void aConnectionThatFailsItsCheckIsClosedAndAnotherOpened() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    SmtpProvider smtp = closer.add(plain(server.port()).validateAfterIdle(Duration.ZERO).build());
    smtp.send(email(1));
    server.reply(Step.RSET, "421 4.4.2 Idle too long, closing");

    smtp.send(email(2));

    assertThat(server.connections()).isEqualTo(2);
    assertThat(server.received()).extracting(ScriptedSmtpServer.Received::connection).containsExactly(1, 2);
  }

  @Test
  void aConnectionIsRetiredAfterMessagesPerConnection() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    SmtpProvider smtp = closer.add(plain(server.port()).messagesPerConnection(2).build());

    for (int i = 0; i < 5; i++) {
      smtp.send(email(i));
    }

    assertThat(server.connections()).isEqualTo(3);
    assertThat(server.received()).extracting(ScriptedSmtpServer.Received::connection).containsExactly(1, 1, 2, 2, 3);
    await().atMost(Duration.ofSeconds(5)).until(() -> server.quits() == 2);
  }

  @Test
  void idleConnectionsAreClosedAfterTheIdleTimeout() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    SmtpProvider smtp = closer.add(plain(server.port()).idleTimeout(Duration.ofMillis(200)).build());

    smtp.send(email(1));

    await().atMost(Duration.ofSeconds(5)).until(() -> server.quits() == 1);
    smtp.send(email(2));
    assertThat(server.connections()).isEqualTo(2);
  }

  @Test
  void closeQuitsEveryConnectionIdleAndBusy() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    CountDownLatch release = new CountDownLatch(1);
    server.holdDataEnd(release);
    SmtpProvider smtp = plain(server.port()).poolSize(3).build();
    List<Future<SendResult>> sends = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      int n = i;
      sends.add(threads.submit(() -> smtp.send(email(n))));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> server.dataEndsWaiting() == 3);
    release.countDown();
    for (Future<SendResult> f : sends) {
      f.get(10, TimeUnit.SECONDS);
    }
    CountDownLatch hold = new CountDownLatch(1);
    server.holdDataEnd(hold);
    Future<SendResult> busy = threads.submit(() -> smtp.send(email(9)));
    await().atMost(Duration.ofSeconds(10)).until(() -> server.dataEndsWaiting() == 1);

    smtp.close();

    await().atMost(Duration.ofSeconds(5)).until(() -> server.quits() == 2);
    hold.countDown();
    assertThat(busy.get(10, TimeUnit.SECONDS).accepted()).hasSize(1);
    await().atMost(Duration.ofSeconds(5)).until(() -> server.quits() == 3);
    assertThat(server.connections()).isEqualTo(3);
    ProviderException after = catchThrowableOfType(ProviderException.class, () -> smtp.send(email(10)));
    assertThat(after.kind()).isEqualTo(FailureKind.PROVIDER_UNAVAILABLE);
  }

  @Test
  void aSendWaitsForAFreeConnectionOnlyUntilTheAcquireTimeout() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    CountDownLatch release = new CountDownLatch(1);
    server.holdDataEnd(release);
    SmtpProvider smtp = closer.add(plain(server.port()).poolSize(1).acquireTimeout(Duration.ofMillis(200)).build());
    Future<SendResult> first = threads.submit(() -> smtp.send(email(1)));
    await().atMost(Duration.ofSeconds(10)).until(() -> server.dataEndsWaiting() == 1);

    ProviderException e = catchThrowableOfType(ProviderException.class, () -> smtp.send(email(2)));

    assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(e.getMessage()).contains("came free");
    release.countDown();
    assertThat(first.get(10, TimeUnit.SECONDS).accepted()).hasSize(1);
    assertThat(server.connections()).isEqualTo(1);
  }

  @Test
  void aProbeOfAnUnresponsiveServerEndsWithinItsTimeout() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    server.silentAt(Step.GREETING);
    SmtpProvider smtp = closer.add(plain(server.port()).build());

    long started = System.nanoTime();
    ProviderException e = catchThrowableOfType(ProviderException.class, () -> smtp.probe(Duration.ofMillis(300)));

    assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void aProbeSendsNoop() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    SmtpProvider smtp = closer.add(plain(server.port()).build());

    smtp.probe(Duration.ofSeconds(5));

    assertThat(server.commands(1)).anyMatch(c -> c.startsWith("EHLO")).contains("NOOP");
    server.reply(Step.NOOP, "421 4.3.2 Going down");
    ProviderException e = catchThrowableOfType(ProviderException.class, () -> smtp.probe(Duration.ofSeconds(5)));
    assertThat(e.kind()).isEqualTo(FailureKind.TRANSIENT);
    assertThat(e.code()).contains("421 4.3.2");
  }
}
