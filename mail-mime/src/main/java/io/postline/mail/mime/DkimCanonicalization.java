package io.postline.mail.mime;

/** DKIM canonicalization (RFC 6376 3.4): how much a message may change in transit and still verify. */
public enum DkimCanonicalization {
  /** Tolerates nothing but added empty lines at the end of the body. */
  SIMPLE,
  /**
   * Tolerates refolded headers, changed header-name case and changed white space; the usual
   * choice, and the default.
   */
  RELAXED;

  String tag() {
    return this == SIMPLE ? "simple" : "relaxed";
  }
}
