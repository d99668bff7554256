package io.postline.mail;

/** How urgent a queued message is: higher priorities are taken first, FIFO within one. */
public enum Priority {
  /** Taken before every NORMAL and LOW message (password resets, one-time codes). */
  HIGH,
  /** The default. */
  NORMAL,
  /** Taken only when no HIGH or NORMAL message is due (newsletters, digests). */
  LOW
}
