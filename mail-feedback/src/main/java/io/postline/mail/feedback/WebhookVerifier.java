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
   * @throws WebhookRejectedException if the request is not authentic, not fresh, a replay, from
   *     a source not allowed, or not readable; the only exception this method throws for any
   *     request content
   */
  List<DeliveryEvent> verify(WebhookRequest request) throws WebhookRejectedException;

  /**
   * Verifies {@code request} and hands its events to {@code handler} (such as
   * {@code feedback::accept}). A verifier that refuses replays counts the request as seen only once
   * {@code handler} has returned normally: when the handler throws (the events could not be applied,
   * say the suppression list was unreachable), the exception goes to the caller, who answers so that
   * the provider sends the request again, and that retry is accepted rather than refused as a replay.
   *
   * @throws WebhookRejectedException as {@link #verify(WebhookRequest)}; the handler is not called
   */
  default void verify(WebhookRequest request, Consumer<List<DeliveryEvent>> handler) throws WebhookRejectedException {
    handler.accept(verify(request));
  }
}
