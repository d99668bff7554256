package io.postline.mail.mime;

/**
 * What the channel that carries a rendered message accepts, which decides how
 * {@link MimeRenderer#toEml(io.postline.mail.Email, MimeChannel)} writes it. A transport tells the
 * renderer what its server offers: SMTP names {@link #EIGHT_BIT} when the server offers 8BITMIME,
 * {@link #UTF8} when it offers SMTPUTF8 and the message needs it.
 */
public enum MimeChannel {
  /**
   * 7-bit only (RFC 5322 and 2045 as written for any relay): text parts {@code 7bit} when they are
   * short-lined ASCII, else {@code quoted-printable}; headers ASCII. The default, and what
   * raw-message APIs and previews get.
   */
  SEVEN_BIT,
  /**
   * 8BITMIME (RFC 6152): as {@link #SEVEN_BIT}, but a UTF-8 text part whose lines are at most 998
   * octets and that holds no NUL or bare CR or LF goes as {@code 8bit}, as it is.
   */
  EIGHT_BIT,
  /**
   * SMTPUTF8 (RFC 6531 and 6532): as {@link #EIGHT_BIT}, and an address with a non-ASCII local part
   * is written in UTF-8 in the From, To, Cc and Reply-To headers. Everything else in the headers
   * stays ASCII (RFC 2047 encoded-words), which RFC 6532 readers read too.
   */
  UTF8
}
