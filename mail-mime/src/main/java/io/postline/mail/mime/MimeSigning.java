package io.postline.mail.mime;

import io.postline.mail.Address;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a provider that sends raw MIME does to a message's bytes before they leave, in the one order
 * that works: S/MIME first (it wraps the content), then DKIM over the exact bytes that are sent.
 * The SMTP and SES providers share it, so both sign alike; unsigned is never a fallback.
 */
public final class MimeSigning {
  private MimeSigning() {}

  /**
   * The message as it is to be sent.
   *
   * @param mime the message as {@link MimeRenderer#toEml} wrote it
   * @param recipients every envelope recipient (for S/MIME encryption)
   * @param smime signs and/or encrypts, if set
   * @param dkim signs last, if set
   * @return {@code mime} itself when neither is set
   * @throws SigningException if the message cannot be signed or encrypted: it must not be sent
   * @throws CertificateLookupException if the application's certificate lookup threw: sending
   *     again later may succeed
   */
  public static byte[] apply(byte[] mime, List<Address> recipients, @Nullable Smime smime, @Nullable DkimSigner dkim) {
    byte[] out = mime;
    if (smime != null) {
      try {
        out = smime.apply(out, recipients);
      } catch (SigningException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new CertificateLookupException(e);
      }
    }
    return dkim != null ? dkim.sign(out) : out;
  }
}
