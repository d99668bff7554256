package io.postline.samples.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.core.Mailer;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The real service on a real port with the in-memory provider (the outbox the subclass's
 * {@code memory://} DSN names) behind it: each test starts with an empty outbox, no dead letters,
 * and {@link #BOUNCE} refused by the provider.
 */
abstract class MemoryProviderServiceTest {
  /** An address the provider refuses, so that a queued email to it becomes a dead letter. */
  static final String BOUNCE = "bounce@example.org";

  final InMemoryProvider outbox;
  ServiceClient client;

  @LocalServerPort
  int port;

  @Autowired
  Mailer mailer;

  MemoryProviderServiceTest(String outboxName) {
    this.outbox = InMemoryProvider.named(outboxName);
  }

  @BeforeEach
  void startClean() {
    client = new ServiceClient(port);
    outbox.reset();
    outbox.reject(BOUNCE);
    mailer.deadLetters().purgeAll();
  }

  /** Queues {@code json} (an email to {@link #BOUNCE}) as {@code token}'s caller and waits for its dead letter. */
  String deadLetter(String token, String json) throws Exception {
    HttpResponse<String> queued = client.post("/v1/emails", token, json);
    assertThat(queued.statusCode()).as(queued.body()).isEqualTo(202);
    String id = ServiceClient.id(queued);
    await().atMost(Duration.ofSeconds(10)).until(
        () -> mailer.deadLetters().list(10).stream().anyMatch(d -> d.id().equals(id)));
    return id;
  }
}
