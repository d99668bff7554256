package io.postline.mail.smtp;

/**
 * Hands out OAuth2 access tokens for SMTP {@code AUTH XOAUTH2} (Gmail, Microsoft 365).
 *
 * <p>The provider asks for a token each time it opens a connection, with {@code refresh} false,
 * so a supplier may return a cached token that it believes is still valid. When the server
 * refuses the token (it expired or was revoked), the provider asks once more with {@code refresh}
 * true and tries again on a new connection; a supplier must then fetch a new token instead of
 * returning the cached one. A second refusal fails the send as
 * {@link io.postline.mail.FailureKind#PROVIDER_UNAVAILABLE PROVIDER_UNAVAILABLE}.
 *
 * <p>Called from sending threads, possibly concurrently. Tokens never appear in logs or
 * exception messages.
 *
 * <pre>{@code
 * SmtpProvider gmail = SmtpProvider.builder("smtp.gmail.com")
 *     .xoauth2("me@example.org", refresh -> refresh ? oauth.refreshToken() : oauth.currentToken())
 *     .build();
 * }</pre>
 */
@FunctionalInterface
public interface OAuth2TokenSupplier {

  /**
   * An access token.
   *
   * @param refresh true when the server has just refused the previous token: do not return it
   *     again
   * @return the bearer token, without a {@code Bearer } prefix
   * @throws Exception if no token can be had; the send fails as provider unavailable
   */
  String token(boolean refresh) throws Exception;
}
