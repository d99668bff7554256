package io.postline.samples.service;

import io.postline.mail.Email;
import io.postline.mail.Priority;
import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The body of {@code POST /v1/emails}: a template (name, model, locale) or a subject with a text
 * and/or HTML body; {@code mode} {@code queue} (the default: 202 and an id to follow) or
 * {@code now} (sent before the answer).
 *
 * @param from the sender; the service's default sender unless given
 * @param to the recipients; 1 to 50
 * @param cc copies
 * @param bcc blind copies
 * @param replyTo where replies go
 * @param subject the subject, without a template
 * @param text the plain-text body, without a template
 * @param html the HTML body, without a template
 * @param template the template to render instead of subject and bodies
 * @param priority high, normal (the default) or low
 * @param sendAt when to send it (queued only)
 * @param tags tags, for routing and metrics
 * @param metadata key-value pairs carried with the message
 * @param mode {@code queue} or {@code now}
 */
record SendEmailRequest(
    @Nullable @Size(max = 320) String from,
    @NotEmpty @Size(max = 50) List<@NotBlank @Size(max = 320) String> to,
    @Nullable @Size(max = 50) List<@NotBlank @Size(max = 320) String> cc,
    @Nullable @Size(max = 50) List<@NotBlank @Size(max = 320) String> bcc,
    @Nullable @Size(max = 5) List<@NotBlank @Size(max = 320) String> replyTo,
    @Nullable @Size(max = 998) String subject,
    @Nullable @Size(max = 1_000_000) String text,
    @Nullable @Size(max = 2_000_000) String html,
    @Nullable @Valid TemplateRef template,
    @Nullable @Pattern(regexp = "(?i)high|normal|low", message = "must be high, normal or low") String priority,
    @Nullable Instant sendAt,
    @Nullable @Size(max = 20) List<@NotBlank @Size(max = 100) String> tags,
    @Nullable @Size(max = 50) Map<String, String> metadata,
    @Nullable @Pattern(regexp = "now|queue", message = "must be now or queue") String mode) {

  /**
   * A template to render.
   *
   * @param name the template's name, such as {@code welcome}
   * @param model the values it refers to
   * @param locale the locale to render in, such as {@code de-CH}
   */
  record TemplateRef(@NotBlank @Size(max = 200) String name, @Nullable Map<String, Object> model,
      @Nullable @Size(max = 35) String locale) {}

  /** A template, or a subject with a body, but not both. */
  @AssertTrue(message = "give either a template, or a subject with a text or html body")
  boolean isContentGiven() {
    boolean body = subject != null && (text != null || html != null);
    boolean bodyParts = subject != null || text != null || html != null;
    return template != null ? !bodyParts : body;
  }

  /** Only queued messages can wait for their time. */
  @AssertTrue(message = "sendAt needs mode queue")
  boolean isScheduleQueued() {
    return sendAt == null || !"now".equals(mode);
  }

  /** Whether the email is sent before the answer. */
  boolean sendNow() {
    return "now".equals(mode);
  }

  /** The email, for {@code caller}; its idempotency key, if any, is scoped to the caller. */
  Email toEmail(String defaultFrom, String caller, @Nullable String idempotencyKey) {
    Email.Builder b = Email.builder()
        .from(from != null ? from : defaultFrom)
        .to(to.toArray(String[]::new))
        .caller(caller);
    if (cc != null) {
      b.cc(cc.toArray(String[]::new));
    }
    if (bcc != null) {
      b.bcc(bcc.toArray(String[]::new));
    }
    if (replyTo != null) {
      b.replyTo(replyTo.toArray(String[]::new));
    }
    if (template != null) {
      b.template(template.name(), template.model() != null ? template.model() : Map.of());
      if (template.locale() != null) {
        b.locale(Locale.forLanguageTag(template.locale()));
      }
    } else {
      b.subject(subject);
      if (text != null) {
        b.text(text);
      }
      if (html != null) {
        b.html(html);
      }
    }
    if (priority != null) {
      b.priority(Priority.valueOf(priority.toUpperCase(Locale.ROOT)));
    }
    if (sendAt != null) {
      b.sendAt(sendAt);
    }
    if (tags != null) {
      tags.forEach(b::tag);
    }
    if (metadata != null) {
      metadata.forEach(b::metadata);
    }
    if (idempotencyKey != null) {
      b.idempotencyKey(caller + ":" + idempotencyKey);
    }
    return b.build();
  }
}
