package io.postline.mail.feedback;

import io.postline.mail.feedback.WebhookRejectedException.Reason;
import io.postline.mail.feedback.internal.Checks;
import io.postline.mail.feedback.internal.ReplayGuard;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * What the verifiers share: the size and freshness checks, and the replay memory, which counts a
 * request as seen once it is authentic and forgets it again when its events could not be applied.
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

  /** Checks {@code request}, remembering it ({@link #remember}) once it is authentic, and reads its events. */
  abstract Accepted accept(WebhookRequest request);

  /** An authentic request's events, and the id it is remembered by. */
  record Accepted(List<DeliveryEvent> events, String replayId) {}

  @Override
  public final String provider() {
    return provider;
  }

  @Override
  public final List<DeliveryEvent> verify(WebhookRequest request) {
    return accept(request).events();
  }

  /** As the interface says: a request whose handler throws is forgotten, so the provider's retry of it is accepted. */
  @Override
  public final void verify(WebhookRequest request, Consumer<List<DeliveryEvent>> handler) {
    Accepted accepted = accept(request);
    replays.handOver(accepted.events(), handler, accepted.replayId());
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

  /**
   * Remembers {@code id} (what identifies the authentic request, named {@code what}); refuses it as
   * {@code REPLAYED} if it was seen. Called once every other check passed, so forged requests cannot
   * fill or poison the memory, and before anything is done with the request.
   */
  final void remember(String id, String what) {
    if (!replays.firstTime(id)) {
      throw refused(Reason.REPLAYED, "this " + what + " was already accepted");
    }
  }

  final WebhookRejectedException refused(Reason reason, String detail) {
    return new WebhookRejectedException(provider, reason, detail);
  }
}
