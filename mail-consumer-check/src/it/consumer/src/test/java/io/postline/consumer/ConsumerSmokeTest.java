package io.postline.consumer;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetupTest;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.postline.mail.Email;
import io.postline.mail.SendResult;
import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.core.Mailer;
import io.postline.mail.queue.redis.RedisMailQueue;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One send per provider, and one message through the Redis queue, as a user's build runs them. */
class ConsumerSmokeTest {
  private static final String REDIS = "redis://127.0.0.1:6379";
  private static final String KEY_PREFIX = "postline-consumer-check";

  private static WireMockServer wire;

  @BeforeAll
  static void startWireMock() {
    wire = new WireMockServer(options().dynamicPort());
    wire.start();
  }

  @AfterAll
  static void stopWireMock() {
    wire.stop();
  }

  private static Email email(String subject) {
    return Email.builder()
        .from("Shop <shop@example.org>")
        .to("ann@example.org")
        .subject(subject)
        .text("It arrives on Tuesday.")
        .html("<p>It arrives on Tuesday.</p>")
        .build();
  }

  private static SendResult send(String dsn, Email email) {
    try (Mailer mailer = Mailer.builder().provider("primary", dsn).build()) {
      return mailer.send(email);
    }
  }

  @Test
  void smtpSendsToGreenMail() throws Exception {
    GreenMail greenMail = new GreenMail(ServerSetupTest.SMTP.dynamicPort());
    greenMail.start();
    try {
      SendResult result = send("smtp://localhost:" + greenMail.getSmtp().getPort() + "?tls=none", email("smtp smoke"));

      assertThat(result.provider()).isEqualTo("primary");
      assertThat(greenMail.waitForIncomingEmail(5_000, 1)).isTrue();
      MimeMessage received = greenMail.getReceivedMessages()[0];
      assertThat(received.getSubject()).isEqualTo("smtp smoke");
    } finally {
      greenMail.stop();
    }
  }

  @Test
  void sendGridSendsToWireMock() {
    wire.stubFor(post("/v3/mail/send")
        .willReturn(aResponse().withStatus(202).withHeader("X-Message-Id", "sg-smoke")));

    SendResult result = send("sendgrid://SG.consumer-key@default?baseUrl=" + wire.baseUrl(), email("sendgrid smoke"));

    assertThat(result.messageId()).isEqualTo("sg-smoke");
    wire.verify(1, postRequestedFor(urlEqualTo("/v3/mail/send"))
        .withRequestBody(containing("\"subject\":\"sendgrid smoke\"")));
  }

  @Test
  void mailgunSendsToWireMock() {
    wire.stubFor(post("/v3/mg.example.org/messages")
        .willReturn(aResponse().withStatus(200).withBody("{\"id\":\"<mg-smoke@mg>\",\"message\":\"Queued.\"}")));

    SendResult result = send("mailgun://key-consumer@mg.example.org?baseUrl=" + wire.baseUrl(), email("mailgun smoke"));

    assertThat(result.messageId()).contains("mg-smoke");
    wire.verify(1, postRequestedFor(urlEqualTo("/v3/mg.example.org/messages"))
        .withRequestBody(containing("mailgun smoke")));
  }

  @Test
  void sesSendsToWireMock() {
    wire.stubFor(post("/v2/email/outbound-emails")
        .willReturn(aResponse().withStatus(200).withBody("{\"MessageId\":\"ses-smoke\"}")));

    SendResult result = send("ses://AKIDCONSUMER:consumer-secret@default?region=eu-west-1&endpoint=" + wire.baseUrl(),
        email("ses smoke"));

    assertThat(result.messageId()).isEqualTo("ses-smoke");
    wire.verify(1, postRequestedFor(urlEqualTo("/v2/email/outbound-emails")));
  }

  @Test
  void redisQueueCarriesAMessageToItsProvider() throws Exception {
    String queue = "consumer-" + UUID.randomUUID();
    String outbox = "consumer-redis-" + UUID.randomUUID();
    // The queue is the application's: the mailer leaves it open, so it is closed here, after the mailer.
    try (RedisMailQueue redisQueue = RedisMailQueue.builder(REDIS).name(queue).keyPrefix(KEY_PREFIX)
            .pollInterval(Duration.ofMillis(100))  // an idle worker's wait, which close() also waits out
            .build();
        Mailer mailer = Mailer.builder()
            .provider("primary", "memory://" + outbox)
            .queue(redisQueue)
            .workers(1)
            .build()) {
      mailer.enqueue(email("redis smoke"));

      List<Email> sent = InMemoryProvider.named(outbox).awaitSent(1, Duration.ofSeconds(20));
      assertThat(sent).extracting(e -> e.subject().orElse("")).containsExactly("redis smoke");
    } finally {
      deleteKeys(KEY_PREFIX + ":{" + queue + "}:*");
    }
  }

  private static void deleteKeys(String pattern) {
    RedisClient client = RedisClient.create(REDIS);
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      List<String> keys = connection.sync().keys(pattern);
      if (!keys.isEmpty()) {
        connection.sync().del(keys.toArray(String[]::new));
      }
    } finally {
      client.shutdown();
    }
  }
}
