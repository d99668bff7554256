package io.postline.samples.service;

import java.io.PrintStream;
import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * {@code new-token --env live|dev --caller NAME}: prints a new caller token ({@code st_live_} or
 * {@code st_dev_} and 43 base-62 characters from {@link SecureRandom}: 256 random bits) and the one
 * line of configuration that lets it in, which holds only the token's hash. Run without starting
 * the service: {@code java -jar samples-email-service.jar new-token --env live --caller billing}.
 */
final class TokenCommand {
  /** The command's name, the first argument. */
  static final String NAME = "new-token";
  /** The environments a token can be made for; the token starts with {@code st_ENV_}. */
  static final List<String> ENVIRONMENTS = List.of("live", "dev");
  /** Random characters per token: 43 × log2(62) ≈ 256 bits. */
  static final int RANDOM_CHARS = 43;

  private static final String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  private static final Pattern CALLER = Pattern.compile("[a-z][a-z0-9]{0,62}");
  private static final SecureRandom RANDOM = new SecureRandom();

  private TokenCommand() {}

  /**
   * Runs the command.
   *
   * @return the exit status: 0, or 2 for wrong arguments (with the usage on {@code err})
   */
  static int run(String[] args, PrintStream out, PrintStream err) {
    String env = null;
    String caller = null;
    for (int i = 1; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--env" -> env = value;
        case "--caller" -> caller = value;
        default -> {
          return usage(err, "unknown argument " + args[i]);
        }
      }
      i++;
    }
    if (env == null || !ENVIRONMENTS.contains(env)) {
      return usage(err, "--env must be one of " + ENVIRONMENTS);
    }
    if (caller == null || !CALLER.matcher(caller).matches()) {
      return usage(err, "--caller must be a name of lower-case letters and digits, starting with a letter");
    }
    String token = newToken(env);
    out.println("Token for caller " + caller + " (hand it to that service now; it is not stored anywhere):");
    out.println(token);
    out.println();
    out.println("Configure the email service with its hash (append it, comma-separated, while rotating):");
    out.println("EMAILSERVICE_CALLERS_" + caller.toUpperCase(Locale.ROOT) + "_TOKENHASHES=" + CallerTokens.hash(token));
    return 0;
  }

  /** A new token for {@code env}: {@code st_ENV_} and {@value #RANDOM_CHARS} random base-62 characters. */
  static String newToken(String env) {
    StringBuilder token = new StringBuilder("st_").append(env).append('_');
    for (int i = 0; i < RANDOM_CHARS; i++) {
      token.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return token.toString();
  }

  private static int usage(PrintStream err, String problem) {
    err.println(problem);
    err.println("usage: " + NAME + " --env live|dev --caller NAME");
    return 2;
  }
}
