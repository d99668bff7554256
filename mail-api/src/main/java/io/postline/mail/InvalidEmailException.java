package io.postline.mail;

import java.util.List;

/**
 * An email, or a part of one, is not valid. {@link #problems()} lists every problem found, not
 * only the first, so a caller can fix them all at once. Nothing was sent.
 */
public class InvalidEmailException extends MailException {
  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  /**
   * Creates the exception.
   *
   * @param problems one line per problem; must not be empty
   */
  public InvalidEmailException(List<String> problems) {
    super(describe(problems));
    this.problems = List.copyOf(problems);
  }

  /** Creates the exception for a single problem. */
  public InvalidEmailException(String problem) {
    this(List.of(problem));
  }

  /** Every problem found, in the order they were found; never empty. */
  public List<String> problems() {
    return problems;
  }

  private static String describe(List<String> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("an InvalidEmailException needs at least one problem");
    }
    if (problems.size() == 1) {
      return "Invalid email: " + problems.get(0);
    }
    return "Invalid email, " + problems.size() + " problems: " + String.join("; ", problems);
  }
}
