package io.postline.mail.tck;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;

/** The checks every provider's hygiene tests make: no secret in what a caller may print or log. */
public final class SecretChecks {
  private SecretChecks() {}

  /**
   * Checks that none of the secrets appears in the message or {@code toString()} of the throwable
   * or of any of its causes.
   */
  public static void assertNoSecrets(Throwable thrown, Collection<String> secrets) {
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      for (String secret : secrets) {
        assertThat(String.valueOf(t.getMessage())).as("message of " + t.getClass().getName()).doesNotContain(secret);
        assertThat(t.toString()).as("toString of " + t.getClass().getName()).doesNotContain(secret);
      }
      if (t.getCause() == t) {
        break;
      }
    }
  }
}
