package io.postline.mail.spring;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains an {@link InvalidPostlinePropertyException} at start-up: which property, what is
 * wrong, and what to do. Registered in {@code META-INF/spring.factories}.
 */
class InvalidPostlinePropertyFailureAnalyzer extends AbstractFailureAnalyzer<InvalidPostlinePropertyException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, InvalidPostlinePropertyException cause) {
    String description = "Postline could not configure its Mailer.\n\n"
        + "    Property: " + cause.property() + "\n"
        + "    Problem:  " + cause.reason() + "\n";
    String action = "Correct the property '" + cause.property() + "' in your application's configuration "
        + "(application.properties or .yaml, environment variables, or command-line arguments).";
    return new FailureAnalysis(description, action, cause);
  }
}
