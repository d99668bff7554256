package io.postline.samples.service;

/** What a caller's token allows; a caller holds one or more (send and read unless configured). */
enum Scope {
  /** Send emails ({@code POST /v1/emails}) and requeue or purge its own dead letters. */
  SEND,
  /** Read its own emails' trails, dead letters and statistics. */
  READ,
  /** Read and act on every caller's: trails, dead letters, statistics, and the actuator. */
  OPERATE
}
