package io.postline.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class QuickStartTest {
  @Test
  void theDemoRunsEveryScenarioAgainstTheEmbeddedSmtpServer() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new QuickStart(new PrintStream(bytes, true, StandardCharsets.UTF_8)).run();
    String report = bytes.toString(StandardCharsets.UTF_8);

    assertThat(report)
        .contains("the server received: \"Willkommen bei Postline Shop, Jürgen!\" for \"Jürgen\" <juergen@xn--bcher-kva.example>")
        .contains("cid@example.org    sent")
        .containsSubsequence("received #1: Password reset", "received #2: Newsletter 1", "received #3: Newsletter 2",
            "received #4: Newsletter 3")
        .contains("sent by backup after 3 attempts")
        .containsSubsequence("attempt_failed provider=smtp TRANSIENT", "retry_scheduled",
            "attempt_failed provider=smtp PROVIDER_UNAVAILABLE", "failed_over smtp -> backup")
        .contains("failed_over smtp -> backup")
        .contains("(the one we queued): PERMANENT after 2 attempts")
        .containsSubsequence("queued", "attempt_failed provider=smtp PROVIDER_UNAVAILABLE", "failed_over smtp -> backup",
            "attempt_failed provider=backup PERMANENT", "dead_lettered PERMANENT after 2 attempts")
        .contains("- from: address has no '@'")
        .contains("- subject contains a line break")
        .contains("- header Content-Type is set by Postline")
        .contains("Shut down with 0 messages left in the queue")
        .containsPattern("postline\\.mail\\.failovers +from=smtp to=backup +2")
        .contains("The SMTP server received 9 messages; backup accepted 1.");
  }
}
