package io.postline.mail.feedback;

import io.postline.mail.feedback.WebhookRejectedException.Reason;
import io.postline.mail.feedback.internal.Checks;
import io.postline.mail.feedback.internal.ReplayGuard;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What the verifiers share: the size and freshness checks, and the replay memory, which claims a
 * request once it is authentic, counts it as done once its work and the handler returned, and
 * forgets it again when either failed.
 */
abstract class ReplayProtectedVerifier implements WebhookVerifier {
  private final String provider;
  private final Duration tolerance;
  private final int maxBodyBytes;
  private final ReplayGuard replays;
  /** The clock for freshness and for events without a time of their own. */
  final Clock clock;

  ReplayProtectedVerifier(String provider, WebhookVerifierBuilder<?> settings) {
    this.provider = provider;
    this.tolerance = settings.tolerance();
    this.maxBodyBytes = settings.maxBodyBytes();
    this.clock = settings.clock();
    this.replays = settings.replayGuard(provider);
  }

  /**
   * Checks {@code request} and says what identifies it; nothing is remembered or done yet. Reading
   * its events (and anything else the request asks for, such as confirming a subscription) is left
   * to {@link Authentic#work}, which runs only once the id is claimed.
   */
  abstract Authentic authenticate(WebhookRequest request);

  /**
   * An authentic request: the id it is remembered by, named {@code what} in a refusal, and the work
   * it stands for, returning its events.
   */
  record Authentic(String replayId, String what, Supplier<List<DeliveryEvent>> work) {}

  @Override
  public final String provider() {
    return provider;
  }

  /** The request counts as done once its events are read; the caller applies them afterwards. */
  @Override
  public final List<DeliveryEvent> verify(WebhookRequest request) {
    return process(request, events -> { });
  }

  /** As the interface says: a request whose handler throws is forgotten, so the provider's retry of it is accepted. */
  @Override
  public final void verify(WebhookRequest request, Consumer<List<DeliveryEvent>> handler) {
    process(request, handler);
  }

  /**
   * Claims the authentic request's id, then does its work and hands the events to {@code handler};
   * the id is done only when both returned, and forgotten when either threw. A request whose id is
   * done is {@code REPLAYED}; one whose id is claimed by a request still being worked on is {@code
   * IN_PROGRESS} (that work may yet fail, so this one must not be acknowledged).
   */
  private List<DeliveryEvent> process(WebhookRequest request, Consumer<List<DeliveryEvent>> handler) {
    Authentic authentic = authenticate(request);
    return replays.once(authentic.replayId(), () -> {
      List<DeliveryEvent> events = authentic.work().get();
      handler.accept(events);
      return events;
    }, seen -> seen == ReplayGuard.Seen.DONE
        ? refused(Reason.REPLAYED, "this " + authentic.what() + " was already accepted")
        : refused(Reason.IN_PROGRESS, "this " + authentic.what() + " is still being processed; send it again later"));
  }

  /** The raw body, refused as {@code TOO_LARGE} beyond the limit. */
  final byte[] body(WebhookRequest request) {
    byte[] body = request.rawBody();
    if (body.length > maxBodyBytes) {
      throw refused(Reason.TOO_LARGE, "body is larger than " + maxBodyBytes + " bytes");
    }
    return body;
  }

  /** Refuses {@code signedAt} (the request's field {@code field}) as {@code STALE} outside the tolerance. */
  final void checkFresh(Instant signedAt, String field) {
    if (!Checks.fresh(signedAt, tolerance, clock)) {
      throw refused(Reason.STALE, field + " is outside the tolerance of " + tolerance);
    }
  }

  final WebhookRejectedException refused(Reason reason, String detail) {
    return new WebhookRejectedException(provider, reason, detail);
  }
}
