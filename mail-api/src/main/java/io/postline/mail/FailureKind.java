package io.postline.mail;

/**
 * What a failed send attempt says about the message and the provider. Every provider maps its
 * own signals (SMTP replies, HTTP statuses, API error codes) to one of these, and the kind alone
 * decides what happens next.
 */
public enum FailureKind {
  /** A passing problem (a timeout, a 4xx SMTP reply, an HTTP 5xx): retry the same provider. */
  TRANSIENT(true, true),
  /** The provider asks to slow down; retry after its {@code retryAfter} when it gives one. */
  RATE_LIMITED(true, true),
  /**
   * The provider cannot send anything right now (bad credentials, suspended account, quota
   * spent, TLS failure): do not retry it, fail over to the next provider at once.
   */
  PROVIDER_UNAVAILABLE(false, true),
  /** Every recipient was refused: no provider will do better, so stop. */
  RECIPIENTS_REJECTED(false, false),
  /** The message itself is refused (too large, malformed, content rejected): stop. */
  PERMANENT(false, false);

  private final boolean retryable;
  private final boolean failsOver;

  FailureKind(boolean retryable, boolean failsOver) {
    this.retryable = retryable;
    this.failsOver = failsOver;
  }

  /** Whether trying the same provider again can help. */
  public boolean retryable() {
    return retryable;
  }

  /**
   * Whether another provider may succeed where this one failed (after retries are spent, for a
   * retryable kind).
   */
  public boolean failsOver() {
    return failsOver;
  }
}
