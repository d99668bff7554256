package io.postline.samples;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.Priority;
import io.postline.mail.Recipient;
import io.postline.mail.SendResult;
import io.postline.mail.core.BatchResult;
import io.postline.mail.core.DeadLetter;
import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.QueuedMail;
import io.postline.mail.core.Receipt;
import io.postline.mail.core.RetryPolicy;
import io.postline.mail.core.Templates;
import io.postline.mail.event.MailEvent;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * The quick start: starts an SMTP server in this JVM (GreenMail), sends through the whole
 * pipeline to it, and prints a report of what happened, with the metrics. No server to install.
 *
 * <p>Providers: {@code smtp} (the embedded server) first, {@code backup} (in memory) as failover.
 * Run it with {@code ./mvnw -q -Pdemo package}.
 */
public final class QuickStart {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final PrintStream out;

  QuickStart(PrintStream out) {
    this.out = out;
  }

  /** Runs the demo and prints the report to standard output. */
  public static void main(String[] args) throws Exception {
    new QuickStart(System.out).run();
  }

  void run() throws Exception {
    int port = freePort();
    GreenMail server = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    server.start();
    InMemoryProvider backup = new InMemoryProvider("backup");
    List<MailEvent> events = new CopyOnWriteArrayList<>();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    out.println("Postline quick start");
    out.println("  providers: smtp -> embedded SMTP server at 127.0.0.1:" + port + ", then backup (in memory)");

    int receivedBySmtp;
    try (Mailer mailer = Mailer.builder()
        .provider("smtp", "smtp://127.0.0.1:" + port + "?tls=none")
        .provider(backup)
        .templates(Templates.classpath("mail/"))
        .retry(RetryPolicy.exponential(3, Duration.ofMillis(100)))
        .queueRetry(RetryPolicy.exponential(2, Duration.ofMillis(200)))
        .workers(1)
        .meterRegistry(meters)
        .listener(events::add)
        .build()) {

      section("1. A templated welcome email, in German (welcome_de.*.mustache)");
      SendResult welcome = mailer.send(Email.builder()
          .from("Postline Shop <shop@example.org>").to("Jürgen <juergen@bücher.example>")
          .template("welcome", Map.of("name", "Jürgen", "plan", "Pro"))
          .locale(Locale.GERMAN).caller("quick-start").build());
      result(welcome);
      MimeMessage received = server.getReceivedMessages()[0];
      out.println("   the server received: \"" + received.getSubject() + "\" for "
          + ((InternetAddress) received.getAllRecipients()[0]).toUnicodeString()
          + " (" + received.getContentType().split(";")[0] + ")");

      section("2. A group notification: one message per recipient, each with its own name");
      BatchResult batch = mailer.sendBatch(
          Email.builder().from("shop@example.org").to("team@example.org")
              .template("maintenance", Map.of()).caller("quick-start").build(),
          List.of(Recipient.of("ann@example.org", Map.of("name", "Ann")),
              Recipient.of("bob@example.org", Map.of("name", "Bob")),
              Recipient.of("cid@example.org", Map.of("name", "Cid"))));
      for (BatchResult.Item item : batch.items()) {
        out.printf("   %-18s %s%n", item.recipient().email(), item.isSent() ? "sent" : "failed");
      }

      section("3. The queue: 3 LOW newsletters and 1 HIGH password reset, all due at once; one worker");
      Instant due = Instant.now().plusSeconds(1);
      int before = server.getReceivedMessages().length;
      for (int i = 1; i <= 3; i++) {
        mailer.enqueue(Email.builder().from("news@example.org").to("reader" + i + "@example.org")
            .subject("Newsletter " + i).text("News").priority(Priority.LOW).sendAt(due).build());
      }
      mailer.enqueue(Email.builder().from("security@example.org").to("eve@example.org")
          .subject("Password reset").text("Your code is 123456").priority(Priority.HIGH).sendAt(due).build());
      awaitUntil(() -> server.getReceivedMessages().length == before + 4);
      MimeMessage[] all = server.getReceivedMessages();
      for (int i = before; i < all.length; i++) {
        out.println("   received #" + (i - before + 1) + ": " + all[i].getSubject());
      }

      section("4. A scheduled email: sendAt now + 2 s");
      Instant at = Instant.now().plusSeconds(2);
      Receipt scheduled = mailer.enqueue(Email.builder().from("shop@example.org").to("ann@example.org")
          .subject("Your trial ends tomorrow").text("Upgrade any time.").sendAt(at).build());
      out.println("   queued as " + scheduled.id() + ": " + mailer.queueCounts().scheduled() + " scheduled");
      awaitUntil(() -> isSent(mailer, scheduled.id()));
      out.println("   sent " + Duration.between(at, sentAt(mailer, scheduled.id())).toMillis()
          + " ms after its sendAt");

      receivedBySmtp = received(server);
      section("5. The SMTP server goes down: the broken connection is retried, the refused reconnect fails over to backup at once");
      server.stop();
      SendResult failedOver = mailer.send(Email.builder().from("shop@example.org").to("dan@example.org")
          .subject("Your invoice").text("Attached soon.").caller("quick-start").build());
      result(failedOver);
      mailer.audit().find(lastSent(events).mailId())
          .forEach(e -> out.println("     " + e.type() + " " + describe(e)));

      section("6. A queued message the backup refuses for good ends in the dead letters, with its reason");
      backup.failNext(1, FailureKind.PERMANENT);
      Receipt doomed = mailer.enqueue(Email.builder().from("shop@example.org").to("fay@example.org")
          .subject("Receipt").text("Thanks").build());
      awaitUntil(() -> mailer.queueCounts().deadLettered() == 1);
      DeadLetter dead = mailer.deadLetters().list(1).get(0);
      out.println("   " + dead.id() + (dead.id().equals(doomed.id()) ? " (the one we queued)" : "") + ": "
          + dead.kind() + " after " + dead.attempts() + " attempts");
      out.println("   reason: " + dead.reason());
      mailer.audit().find(doomed.id()).forEach(e -> out.println("     " + e.type() + " " + describe(e)));

      section("7. Validation lists every problem at once; nothing is sent");
      try {
        Email.builder().from("not an address").to("ann@example.org")
            .subject("Hello\r\nBcc: everyone@example.org").header("Content-Type", "text/evil").build();
      } catch (InvalidEmailException e) {
        e.problems().forEach(p -> out.println("   - " + p));
      }

      List<QueuedMail> left = mailer.shutdown(Duration.ofSeconds(5));
      out.println();
      out.println("Shut down with " + left.size() + " messages left in the queue");
    }

    section("Metrics (Micrometer)");
    meters.getMeters().stream()
        .filter(m -> m.getId().getName().matches("postline\\.mail\\.(send|attempts|failovers|retries|dead\\.letters)"))
        .sorted(Comparator.comparing((Meter m) -> m.getId().getName()).thenComparing(m -> m.getId().getTags().toString()))
        .forEach(m -> out.printf("   %-24s %-70s %s%n", m.getId().getName(), tags(m), count(m)));
    out.println();
    out.println("The SMTP server received " + receivedBySmtp + " messages; backup accepted " + backup.sent().size() + ".");
  }

  private int received(GreenMail server) {
    return server.getReceivedMessages().length;
  }

  private void section(String title) {
    out.println();
    out.println(title);
  }

  private void result(SendResult r) {
    out.println("   sent by " + r.provider() + " after " + r.attempts() + (r.attempts() == 1 ? " attempt" : " attempts"));
  }

  private static MailEvent lastSent(List<MailEvent> events) {
    List<MailEvent> sent = events.stream().filter(e -> e instanceof MailEvent.Sent).toList();
    return sent.get(sent.size() - 1);
  }

  private static boolean isSent(Mailer mailer, String id) {
    return mailer.audit().find(id).stream().anyMatch(e -> e instanceof MailEvent.Sent);
  }

  private static Instant sentAt(Mailer mailer, String id) {
    return mailer.audit().find(id).stream().filter(e -> e instanceof MailEvent.Sent).findFirst().orElseThrow().timestamp();
  }

  private static String describe(MailEvent event) {
    if (event instanceof MailEvent.Sending s) {
      return "provider=" + s.provider() + " attempt=" + s.attempt();
    } else if (event instanceof MailEvent.AttemptFailed f) {
      return "provider=" + f.provider() + " " + f.kind();
    } else if (event instanceof MailEvent.RetryScheduled r) {
      return "in " + r.delay().toMillis() + " ms";
    } else if (event instanceof MailEvent.FailedOver f) {
      return f.fromProvider() + " -> " + f.toProvider();
    } else if (event instanceof MailEvent.Sent s) {
      return "provider=" + s.provider() + " attempts=" + s.attempts();
    } else if (event instanceof MailEvent.DeadLettered d) {
      return d.kind() + " after " + d.attempts() + " attempts";
    }
    return "";
  }

  private static String tags(Meter m) {
    List<String> tags = new ArrayList<>();
    m.getId().getTags().forEach(t -> tags.add(t.getKey() + "=" + t.getValue()));
    return String.join(" ", tags);
  }

  private static String count(Meter m) {
    double total = 0;
    for (var measurement : m.measure()) {
      if (measurement.getStatistic().name().equals("COUNT")) {
        total = measurement.getValue();
      }
    }
    return String.format(Locale.ROOT, "%.0f", total);
  }

  private static void awaitUntil(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the demo waited " + WAIT + " for something that did not happen");
      }
      Thread.sleep(20);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
