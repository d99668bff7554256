package io.postline.mail.core.internal;

import io.postline.mail.core.AuditLog;
import io.postline.mail.event.MailEvent;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * {@link AuditLog} as structured log lines on the logger {@code io.postline.mail.audit}: one INFO
 * line per event with key-value pairs (type, mailId, caller, provider, attempt, kind, ...).
 * Events carry no bodies, addresses or secrets, so neither do these lines.
 */
public final class Slf4jAuditLog implements AuditLog {
  private static final Logger log = LoggerFactory.getLogger("io.postline.mail.audit");

  @Override
  public void record(MailEvent event) {
    if (!log.isInfoEnabled()) {
      return;
    }
    LoggingEventBuilder line = log.atInfo()
        .addKeyValue("type", event.type())
        .addKeyValue("mailId", event.mailId())
        .addKeyValue("timestamp", event.timestamp());
    event.caller().ifPresent(c -> line.addKeyValue("caller", c));
    details(event, line);
    line.log("mail {} {}", event.type(), event.mailId());
  }

  @Override
  public List<MailEvent> find(String mailId) {
    return List.of();
  }

  private static void details(MailEvent event, LoggingEventBuilder line) {
    if (event instanceof MailEvent.Queued e) {
      line.addKeyValue("priority", e.priority());
      e.sendAt().ifPresent(at -> line.addKeyValue("sendAt", at));
    } else if (event instanceof MailEvent.Sending e) {
      line.addKeyValue("provider", e.provider()).addKeyValue("attempt", e.attempt());
    } else if (event instanceof MailEvent.AttemptFailed e) {
      line.addKeyValue("provider", e.provider()).addKeyValue("attempt", e.attempt())
          .addKeyValue("kind", e.kind()).addKeyValue("reason", e.reason());
    } else if (event instanceof MailEvent.RetryScheduled e) {
      line.addKeyValue("provider", e.provider()).addKeyValue("nextAttempt", e.nextAttempt())
          .addKeyValue("delay", e.delay());
    } else if (event instanceof MailEvent.FailedOver e) {
      line.addKeyValue("from", e.fromProvider()).addKeyValue("to", e.toProvider())
          .addKeyValue("reason", e.reason());
    } else if (event instanceof MailEvent.Sent e) {
      line.addKeyValue("provider", e.provider()).addKeyValue("messageId", e.providerMessageId())
          .addKeyValue("attempts", e.attempts()).addKeyValue("durationMs", e.duration().toMillis());
    } else if (event instanceof MailEvent.Failed e) {
      line.addKeyValue("provider", e.provider()).addKeyValue("kind", e.kind())
          .addKeyValue("attempts", e.attempts()).addKeyValue("reason", e.reason());
    } else if (event instanceof MailEvent.DeadLettered e) {
      line.addKeyValue("kind", e.kind()).addKeyValue("attempts", e.attempts()).addKeyValue("reason", e.reason());
    } else if (event instanceof MailEvent.DuplicateDropped e) {
      line.addKeyValue("originalMailId", e.originalMailId());
    } else if (event instanceof MailEvent.Suppressed e) {
      line.addKeyValue("reason", e.reason());
      e.list().ifPresent(l -> line.addKeyValue("list", l));
    } else if (event instanceof MailEvent.Delivery e) {
      line.addKeyValue("provider", e.provider()).addKeyValue("status", e.status());
      e.smtpStatus().ifPresent(st -> line.addKeyValue("smtpStatus", st));
    }
  }
}
