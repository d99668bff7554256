package io.postline.samples;

import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.Recipient;
import io.postline.mail.SendFailedException;
import io.postline.mail.SendResult;
import io.postline.mail.core.BatchResult;
import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.Templates;
import io.postline.mail.event.MailEvent;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The quick start: sends through the whole pipeline into in-memory providers (no server to
 * install) and prints a report of what happened.
 *
 * <p>Run it with {@code ./mvnw -q -Pdemo package}.
 */
public final class QuickStart {
  private final PrintStream out;

  QuickStart(PrintStream out) {
    this.out = out;
  }

  /** Runs the demo and prints the report to standard output. */
  public static void main(String[] args) {
    new QuickStart(System.out).run();
  }

  void run() {
    InMemoryProvider primary = new InMemoryProvider("primary");
    InMemoryProvider backup = new InMemoryProvider("backup");
    List<MailEvent> events = new ArrayList<>();

    out.println("Postline quick start: in-memory providers 'primary' and 'backup', failover in that order");
    out.println();
    try (Mailer mailer = Mailer.builder()
        .provider(primary)
        .provider(backup)
        .templates(Templates.classpath("mail/"))
        .listener(events::add)
        .build()) {

      section("1. A plain email");
      SendResult plain = mailer.send(Email.builder()
          .from("Postline Shop <shop@example.org>")
          .to("ann@example.org")
          .subject("Your order has shipped")
          .text("It will arrive on Tuesday.")
          .tag("order").caller("quick-start")
          .build());
      result(plain);

      section("2. A templated welcome email, in German (welcome_de.*.mustache)");
      SendResult welcome = mailer.send(Email.builder()
          .from("shop@example.org").to("Jürgen <juergen@bücher.example>")
          .template("welcome", Map.of("name", "Jürgen", "plan", "Pro"))
          .locale(Locale.GERMAN).caller("quick-start")
          .build());
      result(welcome);
      Email rendered = primary.lastSent().orElseThrow();
      out.println("   subject: " + rendered.subject().orElse(""));
      out.println("   to (as sent, punycode domain): " + rendered.to().get(0).asciiEmail());

      section("3. A group notification to 4 recipients; the provider refuses one address");
      primary.reject("dan@example.org");
      BatchResult batch = mailer.sendBatch(
          Email.builder().from("shop@example.org").to("team@example.org")
              .template("maintenance", Map.of()).caller("quick-start").build(),
          List.of(
              Recipient.of("ann@example.org", Map.of("name", "Ann")),
              Recipient.of("bob@example.org", Map.of("name", "Bob")),
              Recipient.of("cid@example.org", Map.of("name", "Cid")),
              Recipient.of("dan@example.org", Map.of("name", "Dan"))));
      for (BatchResult.Item item : batch.items()) {
        out.printf("   %-18s %s%n", item.recipient().email(), item.isSent()
            ? "sent"
            : "failed: " + item.failure().map(Throwable::getMessage).orElse(""));
      }

      section("4. Failover: 'primary' is down (bad credentials), 'backup' takes over");
      primary.failNext(1, FailureKind.PROVIDER_UNAVAILABLE);
      result(mailer.send(Email.builder().from("shop@example.org").to("eve@example.org")
          .subject("Password reset").text("Your code is 123456").caller("quick-start").build()));

      section("5. A permanent failure stops at once: no retry, no failover");
      primary.failNext(1, FailureKind.PERMANENT);
      try {
        mailer.send(Email.builder().from("shop@example.org").to("fay@example.org")
            .subject("Invoice").text("Attached.").build());
      } catch (SendFailedException e) {
        out.println("   " + e.kind() + " from " + e.provider() + " after " + e.attempts() + " attempt: "
            + e.getMessage());
      }

      section("6. Validation lists every problem at once; nothing is sent");
      try {
        Email.builder().from("not an address").to("ann@example.org")
            .subject("Hello\r\nBcc: everyone@example.org").header("Content-Type", "text/evil")
            .build();
      } catch (InvalidEmailException e) {
        e.problems().forEach(p -> out.println("   - " + p));
      }
    }

    section("Events (what listeners, audit and metrics see)");
    for (MailEvent event : events) {
      out.printf("   %-26s %-15s %s%n", event.mailId(), event.type(), describe(event));
    }

    section("Outboxes");
    out.println("   primary accepted " + primary.sent().size() + " messages, backup accepted "
        + backup.sent().size());
    for (Email email : primary.sent()) {
      out.println("   primary: " + email);
    }
    for (Email email : backup.sent()) {
      out.println("   backup:  " + email);
    }
  }

  private void section(String title) {
    out.println();
    out.println(title);
  }

  private void result(SendResult r) {
    out.println("   sent by " + r.provider() + " as " + r.messageId() + " after " + r.attempts()
        + (r.attempts() == 1 ? " attempt" : " attempts"));
  }

  private static String describe(MailEvent event) {
    if (event instanceof MailEvent.Sending s) {
      return "provider=" + s.provider() + " attempt=" + s.attempt();
    } else if (event instanceof MailEvent.Sent s) {
      return "provider=" + s.provider() + " attempts=" + s.attempts();
    } else if (event instanceof MailEvent.AttemptFailed f) {
      return "provider=" + f.provider() + " " + f.kind();
    } else if (event instanceof MailEvent.FailedOver f) {
      return f.fromProvider() + " -> " + f.toProvider();
    } else if (event instanceof MailEvent.Failed f) {
      return "provider=" + f.provider() + " " + f.kind();
    }
    return "";
  }
}
