package io.postline.samples.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.core.InMemoryProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.ActiveProfiles;

/**
 * The README's curl, Python and Node examples, taken from the README as they are and run against
 * the service started with the demo profile (its token) on a real port: what the page shows works.
 */
@ActiveProfiles("demo")
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "postline.mail.providers.primary.dsn=memory://readme-examples")
class ReadmeExamplesTest {
  private static final String DEMO_TOKEN = "st_dev_demoTokenForTheDemoProfileOnly0123456789ab";
  private static final Pattern BLOCK = Pattern.compile("```(\\w+)\\n(.*?)```", Pattern.DOTALL);
  private static final InMemoryProvider OUTBOX = InMemoryProvider.named("readme-examples");

  @LocalServerPort
  int port;

  @TempDir
  Path dir;

  @Test
  void thePythonExampleRuns() throws Exception {
    assertRan(run(write("send.py", block("python")), "python3"));
  }

  @Test
  void theNodeExampleRuns() throws Exception {
    assertRan(run(write("send.mjs", block("js")), "node"));
  }

  @Test
  void theCurlExampleRuns() throws Exception {
    String script = block("sh", "jq -r .id").replace("http://localhost:8080", "http://127.0.0.1:" + port);
    String out = run(write("send.sh", script), "bash");
    assertRan(out);
    assertThat(out).containsPattern("\\{\"sent\":\\d+,\"failed\":0,\"deadLettered\":0,\"rateLimited\":0}");
  }

  private void assertRan(String out) {
    assertThat(out).containsPattern("(queued|sent now) [0-9A-Z]{26}\n").contains("status sent\n")
        .contains("refused " + Problems.FROM_NOT_ALLOWED + "\n");
    // the welcome email reached the provider, from the default sender; the forged one did not
    assertThat(OUTBOX.sent()).isNotEmpty().allSatisfy(e -> assertThat(e.from().email()).isEqualTo("no-reply@example.org"));
  }

  private String block(String language, String... containing) throws IOException {
    String readme = Files.readString(Path.of("README.md"));
    Matcher m = BLOCK.matcher(readme);
    while (m.find()) {
      if (m.group(1).equals(language) && List.of(containing).stream().allMatch(m.group(2)::contains)) {
        return m.group(2);
      }
    }
    throw new AssertionError("README.md has no " + language + " block containing " + List.of(containing));
  }

  private Path write(String name, String code) throws IOException {
    return Files.writeString(dir.resolve(name), code);
  }

  private String run(Path script, String interpreter) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(interpreter, script.toString()).redirectErrorStream(true);
    builder.environment().putAll(Map.of("EMAIL_SERVICE_URL", "http://127.0.0.1:" + port,
        "EMAIL_SERVICE_TOKEN", DEMO_TOKEN));
    Process process = builder.start();
    boolean done = process.waitFor(Duration.ofSeconds(60).toSeconds(), TimeUnit.SECONDS);
    if (!done) {
      process.destroyForcibly().waitFor();
    }
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(done).as(interpreter + " did not finish: " + out).isTrue();
    assertThat(process.exitValue()).as(interpreter + " failed: " + out).isZero();
    return out;
  }
}
