package io.postline.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class QuickStartTest {
  @Test
  void theDemoRunsEveryScenario() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new QuickStart(new PrintStream(bytes, true, StandardCharsets.UTF_8)).run();
    String report = bytes.toString(StandardCharsets.UTF_8);

    assertThat(report)
        .contains("subject: Willkommen bei Postline Shop, Jürgen!")
        .contains("juergen@xn--bcher-kva.example")
        .contains("dan@example.org    failed:")
        .contains("sent by backup")
        .contains("PERMANENT from primary after 1 attempt")
        .contains("- from: address has no '@'")
        .contains("- subject contains a line break")
        .contains("- header Content-Type is set by Postline")
        .contains("failed_over")
        .contains("primary accepted 5 messages, backup accepted 1");
  }
}
