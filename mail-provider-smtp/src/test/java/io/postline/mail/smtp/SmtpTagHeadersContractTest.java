package io.postline.mail.smtp;

/**
 * The provider contract again with {@code tagHeaders} on: tags and metadata must now arrive, as
 * {@code X-Postline-*} headers, and the tag limit is enforced.
 */
class SmtpTagHeadersContractTest extends SmtpContractTest {
  @Override
  protected SmtpProvider.Builder builder() {
    return super.builder().name("smtp-kit-headers").tagHeaders(true);
  }
}
