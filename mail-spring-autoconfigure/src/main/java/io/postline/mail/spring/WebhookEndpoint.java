package io.postline.mail.spring;

import io.postline.mail.feedback.DeliveryEvent;
import io.postline.mail.feedback.DeliveryFeedback;
import io.postline.mail.feedback.WebhookRejectedException;
import io.postline.mail.feedback.WebhookRequest;
import io.postline.mail.feedback.WebhookVerifier;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.servlet.function.HandlerFunction;
import org.springframework.web.servlet.function.ServerRequest;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * One provider's webhook endpoint: the raw body, byte for byte as it arrived (read from the
 * servlet's stream, never through a converter), and the headers go to the provider's verifier;
 * verified events go to {@link DeliveryFeedback}.
 *
 * <p>Answers: 200 once the events are applied, and for a replay (already applied); the provider's
 * own "do not retry" status for a refused request ({@code refusal}); 503, which SendGrid, Mailgun
 * and SNS all send again later, when the events could not be applied (the suppression list is
 * unreachable), when the request could not be checked (a shared replay memory is unreachable) or
 * its work failed (an SNS subscription confirmation whose GET failed), and when the same request
 * is still being applied by an earlier delivery ({@code IN_PROGRESS}: acknowledging it would lose
 * its events should that delivery fail). Logs name the provider and the refusal's reason only:
 * never a header, token, key, body or address.
 */
final class WebhookEndpoint implements HandlerFunction<ServerResponse> {
  private static final Logger log = LoggerFactory.getLogger(WebhookEndpoint.class);
  /** The largest body read; the verifiers refuse smaller limits of their own. */
  static final int MAX_BODY_BYTES = 4 * 1024 * 1024;

  private final WebhookVerifier verifier;
  private final DeliveryFeedback feedback;
  private final int refusal;

  /**
   * @param refusal the status the provider takes as "refused, do not send again" (SendGrid retries
   *     any non-2xx for at most 24 hours; Mailgun stops at 406; SNS does not retry a 4xx)
   */
  WebhookEndpoint(WebhookVerifier verifier, DeliveryFeedback feedback, int refusal) {
    this.verifier = verifier;
    this.feedback = feedback;
    this.refusal = refusal;
  }

  @Override
  public ServerResponse handle(ServerRequest request) throws IOException {
    HttpServletRequest servlet = request.servletRequest();
    byte[] body = rawBody(servlet, MAX_BODY_BYTES);
    try {
      if (body == null) {
        throw new WebhookRejectedException(verifier.provider(), WebhookRejectedException.Reason.TOO_LARGE,
            "body is larger than " + MAX_BODY_BYTES + " bytes");
      }
      // A request whose events are not applied stays unseen, so the provider's retry is not a replay.
      verifier.verify(WebhookRequest.of(headers(servlet), body), this::apply);
    } catch (NotApplied e) {
      // The type only: a message could quote what the suppression list was given.
      log.error("Could not apply a verified {} webhook request ({}); answered 503 so that it is sent again",
          verifier.provider(), e.getCause().getClass().getName());
      return ServerResponse.status(503).build();
    } catch (WebhookRejectedException e) {
      if (e.reason() == WebhookRejectedException.Reason.REPLAYED) {
        log.debug("A {} webhook request was a replay of one already applied; answered 200", e.provider());
        return ServerResponse.ok().build();
      }
      if (e.reason() == WebhookRejectedException.Reason.IN_PROGRESS) {
        log.info("A {} webhook request is still being applied by an earlier delivery; answered 503 so that it is"
            + " sent again", e.provider());
        return ServerResponse.status(503).build();
      }
      log.warn("Refused a {} webhook request ({}); answered {}", e.provider(), e.reason(), refusal);
      return ServerResponse.status(refusal).build();
    } catch (RuntimeException e) {
      // A shared replay memory that cannot be reached, or an SNS confirmation that failed: neither
      // accepted nor refused, so sent again.
      log.error("Could not verify or confirm a {} webhook request ({}); answered 503 so that it is sent again",
          verifier.provider(), e.getClass().getName());
      return ServerResponse.status(503).build();
    }
    return ServerResponse.ok().build();
  }

  private void apply(List<DeliveryEvent> events) {
    try {
      feedback.accept(events);
    } catch (RuntimeException e) {
      throw new NotApplied(e);
    }
  }

  /** The verified events could not be applied. */
  private static final class NotApplied extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotApplied(RuntimeException cause) {
      super(null, cause, false, false);
    }
  }

  /** The body as sent, or null when it is longer than {@code max}. */
  static byte @Nullable [] rawBody(HttpServletRequest request, int max) throws IOException {
    try (InputStream in = request.getInputStream()) {
      byte[] body = in.readNBytes(max + 1);
      return body.length > max ? null : body;
    }
  }

  private static Map<String, List<String>> headers(HttpServletRequest request) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String name : Collections.list(request.getHeaderNames())) {
      headers.put(name, Collections.list(request.getHeaders(name)));
    }
    return headers;
  }
}
