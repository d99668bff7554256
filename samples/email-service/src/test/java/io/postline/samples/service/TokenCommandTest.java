package io.postline.samples.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The new-token command: the token it prints, and the configuration line that lets exactly that token in. */
class TokenCommandTest {

  @Test
  void printsAPrefixedRandomTokenAndOnlyItsHashForTheConfiguration() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int status = TokenCommand.run(new String[] {"new-token", "--env", "live", "--caller", "billing"},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()));
    assertThat(status).isZero();
    String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
    String token = lines[1].strip();
    assertThat(token).matches("st_live_[0-9A-Za-z]{" + TokenCommand.RANDOM_CHARS + "}");
    String config = lines[lines.length - 1].strip();
    assertThat(config).isEqualTo("EMAILSERVICE_CALLERS_BILLING_TOKENHASHES=" + CallerTokens.hash(token));
    assertThat(config).doesNotContain(token.substring("st_live_".length()));

    EmailServiceProperties.Caller billing = new EmailServiceProperties.Caller();
    billing.setTokenHashes(java.util.List.of(config.substring(config.indexOf('=') + 1)));
    CallerTokens tokens = CallerTokens.of(Map.of("billing", billing), "no-reply@example.org", false);
    assertThat(tokens.callerOf(token).map(AuthenticatedCaller::name)).hasValue("billing");
  }

  @Test
  void tokensCarryAtLeast160RandomBits() {
    assertThat(TokenCommand.RANDOM_CHARS * Math.log(62) / Math.log(2)).isGreaterThanOrEqualTo(160);
    Set<String> seen = new HashSet<>();
    int[] counts = new int[128];
    for (int i = 0; i < 2000; i++) {
      String token = TokenCommand.newToken("dev");
      assertThat(token).startsWith("st_dev_");
      assertThat(seen.add(token)).isTrue();
      token.substring("st_dev_".length()).chars().forEach(c -> counts[c]++);
    }
    // every one of the 62 characters turns up, none far more often than the others (86,000 draws)
    long used = java.util.Arrays.stream(counts).filter(c -> c > 0).count();
    assertThat(used).isEqualTo(62);
    assertThat(java.util.Arrays.stream(counts).max().getAsInt()).isLessThan(2 * 2000 * TokenCommand.RANDOM_CHARS / 62);
  }

  @Test
  void wrongArgumentsPrintTheUsage() {
    for (String[] args : new String[][] {{"new-token"}, {"new-token", "--env", "prod", "--caller", "a"},
        {"new-token", "--env", "dev", "--caller", "Billing-Service"}, {"new-token", "--env", "dev", "--size", "9"}}) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      assertThat(TokenCommand.run(args, new PrintStream(out), new PrintStream(err, true, StandardCharsets.UTF_8)))
          .isEqualTo(2);
      assertThat(out.size()).isZero();
      assertThat(err.toString(StandardCharsets.UTF_8)).contains("usage: new-token --env live|dev --caller NAME");
    }
  }
}
