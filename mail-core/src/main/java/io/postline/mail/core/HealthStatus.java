package io.postline.mail.core;

/** How well a provider, or a whole mailer, can send right now. */
public enum HealthStatus {
  /** Sending works. */
  UP,
  /** Sending works only partly: a provider is recovering, or some providers are down. */
  DEGRADED,
  /** Nothing can be sent. */
  DOWN
}
