package io.postline.mail.spring;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.postline.mail.Email;
import io.postline.mail.core.InMemoryProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.Optional;
import java.util.UUID;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** What the auto-configuration tests share: runners, outboxes no other test uses, emails. */
final class TestSupport {
  static final String REDIS_URL = Optional.ofNullable(System.getenv("REDIS_URL")).filter(s -> !s.isBlank())
      .orElse("redis://127.0.0.1:6379");

  private TestSupport() {}

  /** A runner with Postline's auto-configurations (main, health, endpoint). */
  static ApplicationContextRunner runner() {
    return new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(PostlineMailAutoConfiguration.class,
        PostlineHealthContributorAutoConfiguration.class, PostlineEndpointAutoConfiguration.class));
  }

  /** Deletes every key on the test Redis that starts with {@code prefix}. */
  static void deleteKeys(String prefix) {
    List<String> keys = keys(prefix + "*");
    if (!keys.isEmpty()) {
      onRedis(c -> c.sync().del(keys.toArray(String[]::new)));
    }
  }

  /** The keys on the test Redis that match {@code pattern}. */
  static List<String> keys(String pattern) {
    return onRedis(c -> {
      List<String> keys = new ArrayList<>();
      ScanCursor cursor = ScanCursor.INITIAL;
      do {
        KeyScanCursor<String> page = c.sync().scan(cursor, ScanArgs.Builder.matches(pattern).limit(1000));
        keys.addAll(page.getKeys());
        cursor = page;
      } while (!cursor.isFinished());
      return keys;
    });
  }

  private static <T> T onRedis(Function<StatefulRedisConnection<String, String>, T> action) {
    RedisClient client = RedisClient.create(REDIS_URL);
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      return action.apply(c);
    } finally {
      client.shutdown();
    }
  }

  /** An outbox name no other test uses. */
  static String outbox() {
    return "outbox-" + UUID.randomUUID();
  }

  /** The shared in-memory outbox {@code name}, as {@code memory://name} providers write to it. */
  static InMemoryProvider box(String name) {
    return InMemoryProvider.named(name);
  }

  static Email email(String to) {
    return Email.builder().from("shop@example.org").to(to).subject("Hi").text("Hello").build();
  }

  /** An email rendered from {@code template}, with no subject or body of its own. */
  static Email templated(String to, String template, java.util.Map<String, ?> model) {
    return Email.builder().from("shop@example.org").to(to).template(template, model).build();
  }

  static Email.Builder emailBuilder(String to) {
    return Email.builder().from("shop@example.org").to(to).subject("Hi").text("Hello");
  }
}
