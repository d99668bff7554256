package io.postline.mail.feedback;

import java.util.List;
import java.util.function.Consumer;

/**
 * Verifies one provider's webhook requests and reads their events.
 *
 * <p>Every check (signature, freshness, replay, allowed source) happens before anything is read
 * or remembered, so a refused request changes nothing.
 */
public interface WebhookVerifier {
  /** The provider's name, as in {@link DeliveryEvent#provider()}. */
  String provider();

  /**
   * Verifies {@code request} and returns its events (possibly none: an event type Postline does
   * not track, or an SNS subscription message).
   *
   * <p>A verifier that refuses replays counts the request as done once its events are read, before
   * the caller applies them: prefer {@link #verify(WebhookRequest, Consumer)}, which counts it only
   * once they were applied.
   *
   * @throws WebhookRejectedException if the request is not authentic, not fresh, a replay, still
   *     being processed ({@code IN_PROGRESS}), from a source not allowed, or not readable; the only
   *     exception this method throws for any request content
   */
  List<DeliveryEvent> verify(WebhookRequest request) throws WebhookRejectedException;

  /**
   * Verifies {@code request} and hands its events to {@code handler} (such as
   * {@code feedback::accept}). A verifier that refuses replays counts the request as seen only once
   * {@code handler} has returned normally: when the handler throws (the events could not be applied,
   * say the suppression list was unreachable), the exception goes to the caller, who answers so that
   * the provider sends the request again, and that retry is accepted rather than refused as a replay.
   * A retry that arrives while the handler is still running is refused as {@code IN_PROGRESS}, not
   * as {@code REPLAYED}: that handler may yet fail, so the retry must be answered so that the
   * provider sends it again (5xx), never acknowledged.
   *
   * @throws WebhookRejectedException as {@link #verify(WebhookRequest)}; the handler is not called
   */
  default void verify(WebhookRequest request, Consumer<List<DeliveryEvent>> handler) throws WebhookRejectedException {
    handler.accept(verify(request));
  }
}
