package io.postline.mail.feedback;

import java.util.List;

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
}
