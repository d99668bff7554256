package io.postline.mail.core;

import java.util.List;

/** Every secret the test suite configures; {@link NoSecretsInLogs} checks none is ever logged. */
public final class TestSecrets {
  /** A password in DSNs. */
  public static final String PASSWORD = "s3cret-Pa55";
  /** An API key in DSNs and options. */
  public static final String API_KEY = "SG.test-key-9f8e7d";
  /** A secret inside an unexpected provider exception's message. */
  public static final String IN_EXCEPTION = "hunter2";

  /** All of them. */
  public static final List<String> ALL = List.of(PASSWORD, API_KEY, IN_EXCEPTION);

  private TestSecrets() {}
}
