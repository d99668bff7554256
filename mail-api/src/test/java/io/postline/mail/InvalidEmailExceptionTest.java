package io.postline.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InvalidEmailExceptionTest {

  @Test
  void oneProblem() {
    InvalidEmailException e = new InvalidEmailException("from is missing");

    assertThat(e.problems()).containsExactly("from is missing");
    assertThat(e).hasMessage("Invalid email: from is missing");
  }

  @Test
  void severalProblemsAreCountedAndJoined() {
    InvalidEmailException e = new InvalidEmailException(List.of("a", "b", "c"));

    assertThat(e.problems()).containsExactly("a", "b", "c");
    assertThat(e).hasMessage("Invalid email, 3 problems: a; b; c");
  }

  @Test
  void needsAtLeastOneProblem() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new InvalidEmailException(List.of()))
        .withMessageContaining("at least one problem");
  }

  @Test
  void copiesTheProblems() {
    List<String> problems = new ArrayList<>(List.of("a"));
    InvalidEmailException e = new InvalidEmailException(problems);

    problems.add("b");

    assertThat(e.problems()).containsExactly("a");
    assertThatThrownBy(() -> e.problems().add("c")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void isAnUncheckedMailException() {
    assertThat(new InvalidEmailException("x")).isInstanceOf(MailException.class).isInstanceOf(RuntimeException.class);
  }
}
