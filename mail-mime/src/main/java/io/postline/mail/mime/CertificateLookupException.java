package io.postline.mail.mime;

/**
 * The application's S/MIME certificate lookup ({@link SmimeCertificates}) threw while a message was
 * being encrypted: a directory service that is down, say. Nothing was sent; sending again later may
 * succeed. The cause is what the lookup threw; its message is not repeated here, since it may name
 * a recipient.
 */
public final class CertificateLookupException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Wraps what the lookup threw. */
  public CertificateLookupException(RuntimeException cause) {
    super("the S/MIME certificate lookup failed (" + cause.getClass().getName() + ")", cause, false, false);
  }
}
