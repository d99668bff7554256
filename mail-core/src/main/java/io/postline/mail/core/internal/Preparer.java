package io.postline.mail.core.internal;

import io.postline.mail.Email;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.core.RenderedTemplate;
import io.postline.mail.core.Templates;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Makes an email ready for the engine: the checks that need the mailer (a recipient, a
 * {@code sendAt} within bounds of the mailer's clock, a provider that can carry it) and template
 * rendering. An email's structure was checked when it was built and is not checked again.
 */
public final class Preparer {
  private static final String NO_RECIPIENT = "no recipient: add at least one to, cc or bcc address "
      + "(an email without recipients is only for sendBatch and enqueueBatch)";

  private final Templates templates;
  private final Locale defaultLocale;
  private final Engine engine;
  private final Clock clock;

  public Preparer(Templates templates, Locale defaultLocale, Engine engine, Clock clock) {
    this.templates = templates;
    this.defaultLocale = defaultLocale;
    this.engine = engine;
    this.clock = clock;
  }

  /** Checks and renders an email to send now. */
  Email forSend(Email email) {
    check(email, false);
    return render(email);
  }

  /**
   * Checks and renders an email to enqueue: besides {@link #forSend}'s checks, some provider the
   * routing picks must be able to carry it.
   */
  Email forQueue(Email email) {
    check(email, false);
    Email ready = render(email);
    List<String> problems = engine.queueProblems(ready);
    if (!problems.isEmpty()) {
      throw new InvalidEmailException(problems);
    }
    return ready;
  }

  /** Checks a group email (it may have no recipients of its own). */
  void checkGroup(Email email) {
    check(email, true);
  }

  private void check(Email email, boolean group) {
    boolean noRecipient = !group && email.recipients().isEmpty();
    String schedule = email.sendAt().map(this::scheduleProblem).orElse(null);
    if (!noRecipient && schedule == null) {
      return; // the usual case, with nothing allocated
    }
    List<String> problems = new ArrayList<>(2);
    if (noRecipient) {
      problems.add(NO_RECIPIENT);
    }
    if (schedule != null) {
      problems.add(schedule);
    }
    throw new InvalidEmailException(problems);
  }

  private @Nullable String scheduleProblem(Instant at) {
    Instant now = clock.instant();
    if (at.isAfter(now.plus(Email.MAX_SCHEDULE_AHEAD))) {
      return "sendAt is more than " + Email.MAX_SCHEDULE_AHEAD.toDays() + " days ahead";
    }
    if (at.isBefore(now.minus(Email.MAX_SCHEDULE_BEHIND))) {
      return "sendAt is more than " + Email.MAX_SCHEDULE_BEHIND.toDays() + " days in the past";
    }
    return null;
  }

  /** The email with its template rendered; an email without one is returned as it is. */
  Email render(Email email) {
    Email.Template template = email.template().orElse(null);
    if (template == null) {
      return email;
    }
    RenderedTemplate rendered = templates.render(template.name(), email.locale().orElse(defaultLocale),
        template.model());
    try {
      return email.withContent(rendered.subject(), rendered.text().orElse(null), rendered.html().orElse(null));
    } catch (InvalidEmailException e) {
      throw new InvalidEmailException(e.problems().stream()
          .map(p -> "template " + template.name() + " rendered into an invalid email: " + p).toList());
    }
  }
}
