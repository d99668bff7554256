package io.postline.samples.service;

import io.postline.mail.SendFailedException;
import io.postline.mail.SendResult;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.Receipt;
import io.postline.mail.event.MailEvent;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Size;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /v1/emails} and {@code GET /v1/emails/{id}}. */
@RestController
@RequestMapping("/v1/emails")
class EmailController {
  private final Mailer mailer;
  private final EmailServiceProperties properties;

  EmailController(Mailer mailer, EmailServiceProperties properties) {
    this.mailer = mailer;
    this.properties = properties;
  }

  /**
   * Queues an email (202, with the id to follow it by) or sends it now (200, with what the
   * provider said). An {@code Idempotency-Key} header makes a repeated request harmless.
   */
  @PostMapping
  ResponseEntity<Map<String, Object>> send(@Valid @RequestBody SendEmailRequest request,
      @RequestAttribute(CallerAuthenticationFilter.CALLER) AuthenticatedCaller caller,
      @RequestHeader(name = "Idempotency-Key", required = false) @Nullable @Size(max = 200) String idempotencyKey) {
    Access.requireAny(caller, Scope.SEND);
    var email = request.toEmail(properties.getDefaultFrom(), caller.name(), idempotencyKey);
    if (!caller.maySendAs(email.from())) {
      throw new Access.ForbiddenException(Problems.FROM_NOT_ALLOWED, "caller " + caller.name() + " may not send as "
          + "this from address; the operators allow addresses and domains in email-service.callers." + caller.name()
          + ".allowed-from");
    }
    if (!request.sendNow()) {
      Receipt receipt = mailer.enqueue(email);
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("id", receipt.id());
      body.put("status", "queued");
      body.put("duplicate", receipt.duplicate());
      return ResponseEntity.accepted().location(location(receipt.id())).body(body);
    }
    SendResult result;
    try {
      result = mailer.send(email);
    } catch (SendFailedException failed) {
      throw new DeliveryFailedException(failed.mailId().orElse(null), failed);
    }
    // For a duplicate idempotency key this is the first message's id, whose trail tells the story.
    String mailId = result.mailId().orElse(null);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("id", mailId);
    body.put("status", "sent");
    body.put("provider", result.provider());
    body.put("providerMessageId", result.messageId());
    body.put("attempts", result.attempts());
    body.put("recipients", result.recipients().stream().map(r -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("address", r.address().email());
      m.put("accepted", r.isAccepted());
      r.reason().ifPresent(reason -> m.put("reason", reason));
      return m;
    }).toList());
    ResponseEntity.BodyBuilder ok = ResponseEntity.status(HttpStatus.OK);
    if (mailId != null) {
      ok.location(location(mailId));
    }
    return ok.body(body);
  }

  /**
   * The status and audit trail of one of the caller's emails (read scope), or of anyone's (operate
   * scope); 404 for another caller's.
   */
  @GetMapping("/{id}")
  Map<String, Object> status(@PathVariable @Size(max = 100) String id,
      @RequestAttribute(CallerAuthenticationFilter.CALLER) AuthenticatedCaller caller) {
    Access.requireAny(caller, Scope.READ, Scope.OPERATE);
    List<MailEvent> events = mailer.audit().find(id);
    if (!Access.owner(events).filter(caller::mayRead).isPresent()) {
      throw new EmailNotFoundException(id);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("id", id);
    body.put("status", events.get(events.size() - 1).type());
    body.put("events", events.stream().map(EmailController::describe).toList());
    return body;
  }

  private static URI location(String id) {
    return URI.create("/v1/emails/" + id);
  }

  /** One event as JSON: what happened, when, and the details that help (never addresses or bodies). */
  static Map<String, Object> describe(MailEvent event) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", event.type());
    m.put("at", event.timestamp().toString());
    if (event instanceof MailEvent.Queued e) {
      m.put("priority", e.priority().name());
      e.sendAt().ifPresent(at -> m.put("sendAt", at.toString()));
    } else if (event instanceof MailEvent.Sending e) {
      m.put("provider", e.provider());
      m.put("attempt", e.attempt());
    } else if (event instanceof MailEvent.AttemptFailed e) {
      m.put("provider", e.provider());
      m.put("attempt", e.attempt());
      m.put("kind", e.kind().name());
      m.put("reason", e.reason());
    } else if (event instanceof MailEvent.RetryScheduled e) {
      m.put("provider", e.provider());
      m.put("nextAttempt", e.nextAttempt());
      m.put("delayMs", e.delay().toMillis());
    } else if (event instanceof MailEvent.FailedOver e) {
      m.put("from", e.fromProvider());
      m.put("to", e.toProvider());
      m.put("reason", e.reason());
    } else if (event instanceof MailEvent.Sent e) {
      m.put("provider", e.provider());
      m.put("providerMessageId", e.providerMessageId());
      m.put("attempts", e.attempts());
      m.put("durationMs", e.duration().toMillis());
    } else if (event instanceof MailEvent.Failed e) {
      m.put("provider", e.provider());
      m.put("kind", e.kind().name());
      m.put("attempts", e.attempts());
      m.put("reason", e.reason());
    } else if (event instanceof MailEvent.DeadLettered e) {
      m.put("kind", e.kind().name());
      m.put("attempts", e.attempts());
      m.put("reason", e.reason());
    } else if (event instanceof MailEvent.DuplicateDropped e) {
      m.put("originalId", e.originalMailId());
    }
    return m;
  }

  /** No email (or dead letter) of the caller's has that id. */
  static final class EmailNotFoundException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    EmailNotFoundException(String id) {
      super("no email of yours has id " + id);
    }
  }

  /** A synchronous send that no provider accepted; carries the message id, if known. */
  static final class DeliveryFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient @Nullable String mailId;
    private final transient SendFailedException failure;

    DeliveryFailedException(@Nullable String mailId, SendFailedException failure) {
      super(failure.getMessage(), failure);
      this.mailId = mailId;
      this.failure = failure;
    }

    @Nullable String mailId() {
      return mailId;
    }

    SendFailedException failure() {
      return failure;
    }

    @Nullable Duration retryAfter() {
      return failure.retryAfter().orElse(null);
    }
  }
}
