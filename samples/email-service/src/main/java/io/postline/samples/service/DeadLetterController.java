package io.postline.samples.service;

import io.postline.mail.Email;
import io.postline.mail.core.DeadLetter;
import io.postline.mail.core.Mailer;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Size;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * A caller's dead letters: {@code GET /v1/dead-letters} (read scope: its own; operate: everyone's,
 * or one caller's with {@code ?caller=}), {@code POST /v1/dead-letters/{id}/requeue} and
 * {@code DELETE /v1/dead-letters/{id}} (send scope: its own; operate: anyone's). Another caller's
 * dead letter is not found (404), as its email is.
 */
@RestController
@RequestMapping("/v1/dead-letters")
class DeadLetterController {
  /** How many of the newest dead letters a listing looks through for the caller's. */
  static final int SCAN = 1000;

  private final Mailer mailer;

  DeadLetterController(Mailer mailer) {
    this.mailer = mailer;
  }

  /** The newest dead letters the caller may see, at most {@code limit}; recipients masked. */
  @GetMapping
  Map<String, Object> list(@RequestAttribute(CallerAuthenticationFilter.CALLER) AuthenticatedCaller caller,
      @RequestParam(name = "caller", required = false) @Nullable @Size(max = 100) String of,
      @RequestParam(defaultValue = "100") @Min(1) @Max(SCAN) int limit) {
    Access.requireAny(caller, Scope.READ, Scope.OPERATE);
    String owner = of != null ? of : caller.has(Scope.OPERATE) ? null : caller.name();
    if (owner != null && !caller.mayRead(owner)) {
      throw new Access.ForbiddenException(Problems.FORBIDDEN, "another caller's dead letters need the operate scope");
    }
    List<Map<String, Object>> letters = mailer.deadLetters().list(SCAN).stream()
        .filter(d -> owner == null || d.mail().email().caller().filter(owner::equals).isPresent())
        .limit(limit).map(DeadLetterController::describe).toList();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("deadLetters", letters);
    return body;
  }

  /** Puts one of the caller's dead letters back in the queue. */
  @PostMapping("/{id}/requeue")
  Map<String, Object> requeue(@PathVariable @Size(max = 100) String id,
      @RequestAttribute(CallerAuthenticationFilter.CALLER) AuthenticatedCaller caller) {
    mayAct(caller, id);
    return done("requeue", id, mailer.deadLetters().requeue(id));
  }

  /** Deletes one of the caller's dead letters. */
  @DeleteMapping("/{id}")
  Map<String, Object> purge(@PathVariable @Size(max = 100) String id,
      @RequestAttribute(CallerAuthenticationFilter.CALLER) AuthenticatedCaller caller) {
    mayAct(caller, id);
    return done("purge", id, mailer.deadLetters().purge(id));
  }

  private void mayAct(AuthenticatedCaller caller, String id) {
    Access.requireAny(caller, Scope.SEND, Scope.OPERATE);
    if (!Access.owner(mailer.audit().find(id)).filter(caller::mayAct).isPresent()) {
      throw new EmailController.EmailNotFoundException(id);
    }
  }

  private static Map<String, Object> done(String action, String id, boolean affected) {
    if (!affected) {
      throw new EmailController.EmailNotFoundException(id);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("id", id);
    body.put("action", action);
    return body;
  }

  private static Map<String, Object> describe(DeadLetter d) {
    Email email = d.mail().email();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", d.id());
    email.caller().ifPresent(c -> m.put("caller", c));
    m.put("kind", d.kind().name());
    m.put("reason", d.reason());
    m.put("attempts", d.attempts());
    m.put("deadLetteredAt", d.deadLetteredAt().toString());
    m.put("enqueuedAt", d.mail().enqueuedAt().toString());
    m.put("priority", email.priority().name());
    m.put("recipients", email.recipients().stream().map(a -> a.masked()).toList());
    m.put("tags", List.copyOf(email.tags()));
    return m;
  }
}
