package io.postline.mail.queue.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.postline.mail.Email;
import io.postline.mail.SendResult;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.MailProvider;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * A provider that records each delivery (the email's metadata {@code n}) in a Redis list, so that
 * deliveries made by a JVM that was killed stay countable. Takes {@code latency} per send, like a
 * real provider, so that sends are in flight when the JVM dies; can hang on one message after
 * recording it, so that a lease is certainly held when the JVM dies.
 */
final class RecordingProvider implements MailProvider {
  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;
  private final String list;
  private final Duration latency;
  private final String hangAfter;

  RecordingProvider(String redisUrl, String list, Duration latency) {
    this(redisUrl, list, latency, "");
  }

  /**
   * A provider that, after recording the message whose {@code n} is {@code hangAfter}, never
   * returns: a send the provider accepted but whose worker dies before the ack.
   */
  RecordingProvider(String redisUrl, String list, Duration latency, String hangAfter) {
    this.client = RedisClient.create(redisUrl);
    this.connection = client.connect();
    this.list = list;
    this.latency = latency;
    this.hangAfter = hangAfter;
  }

  @Override
  public String name() {
    return "recording";
  }

  @Override
  public Capabilities capabilities() {
    return Capabilities.unlimited();
  }

  @Override
  public SendResult send(Email email) {
    LockSupport.parkNanos(latency.toNanos());
    connection.sync().rpush(list, email.metadata().get("n"));
    if (hangAfter.equals(email.metadata().get("n"))) {
      for (int i = 0; i < Integer.MAX_VALUE; i++) {
        LockSupport.park(this);
      }
    }
    return SendResult.accepted(name(), "<" + email.metadata().get("n") + "@recording>", email.recipients(), latency);
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown();
  }
}
