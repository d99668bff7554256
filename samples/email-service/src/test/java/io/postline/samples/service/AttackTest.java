package io.postline.samples.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postline.mail.core.DeadLetter;
import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.core.Mailer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The attacks found on the sample, replayed as they were against the real service on a real port:
 * each failed before the service was hardened. {@code shop} is an ordinary caller (send and read
 * its own); {@code billing} is another; {@code ops} holds the operate scope.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "email-service.callers.billing.allowed-from=billing@example.org",
    "email-service.callers.shop.allowed-from=shop.example.org",
    "email-service.callers.ops.scopes=operate",
    "email-service.max-request-size=1MB",
    "postline.mail.providers.primary.dsn=memory://attack-test"})
class AttackTest {
  static final String BILLING = TokenCommand.newToken("dev");
  static final String SHOP = TokenCommand.newToken("dev");
  static final String OPS = TokenCommand.newToken("dev");
  private static final String BOUNCE = "bounce@example.org";

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final InMemoryProvider OUTBOX = InMemoryProvider.named("attack-test");

  @LocalServerPort
  int port;

  @Autowired
  Mailer mailer;

  @DynamicPropertySource
  static void tokens(DynamicPropertyRegistry registry) {
    registry.add("email-service.callers.billing.token-hashes", () -> CallerTokens.hash(BILLING));
    registry.add("email-service.callers.shop.token-hashes", () -> CallerTokens.hash(SHOP));
    registry.add("email-service.callers.ops.token-hashes", () -> CallerTokens.hash(OPS));
  }

  @BeforeEach
  void clean() {
    OUTBOX.reset();
    OUTBOX.reject(BOUNCE);
    mailer.deadLetters().purgeAll();
  }

  @Test
  void aSendOnlyTokenCannotReadAnotherCallersTrailThroughTheActuator() throws Exception {
    String id = JSON.readTree(post("/v1/emails", BILLING, """
        {"from": "billing@example.org", "to": ["ann@example.org"], "subject": "Invoice", "text": "x", "mode": "now"}
        """).body()).get("id").asString();

    HttpResponse<String> trail = get("/actuator/postline/" + id, SHOP);
    assertForbidden(trail);
    assertThat(trail.body()).doesNotContain("sent");
    HttpResponse<String> overview = get("/actuator/postline", SHOP);
    assertForbidden(overview);
    assertThat(overview.body()).doesNotContain("deadLetters");

    assertThat(get("/actuator/postline/" + id, OPS).statusCode()).isEqualTo(200);
  }

  @Test
  void aSendOnlyTokenCannotRequeueOrPurgeEveryonesDeadLetters() throws Exception {
    String id = deadLetterOf(BILLING, "billing@example.org");

    assertForbidden(post("/actuator/postline/purge", SHOP, "{}"));
    assertForbidden(post("/actuator/postline/requeue", SHOP, "{}"));
    assertForbidden(post("/actuator/postline/purge", SHOP, "{\"id\": \"" + id + "\"}"));
    assertThat(mailer.deadLetters().list(10)).extracting(DeadLetter::id).containsExactly(id);

    // nor through the service's own API: another caller's dead letter does not exist for shop
    assertThat(get("/v1/dead-letters", SHOP).body()).doesNotContain(id);
    HttpResponse<String> purge = delete("/v1/dead-letters/" + id, SHOP);
    assertThat(purge.statusCode()).isEqualTo(404);
    assertThat(mailer.deadLetters().list(10)).extracting(DeadLetter::id).containsExactly(id);

    // its owner and an operator can
    assertThat(get("/v1/dead-letters", BILLING).body()).contains(id);
    HttpResponse<String> purged = post("/actuator/postline/purge", OPS, "{\"id\": \"" + id + "\"}");
    assertThat(purged.statusCode()).isEqualTo(200);
    assertThat(mailer.deadLetters().list(10)).isEmpty();
  }

  @Test
  void eightConcurrentThirtyMegabytePostsAreRefusedBeforeTheyAreRead() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<StreamingPost>> posts = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        posts.add(pool.submit(() -> StreamingPost.post(port, "/v1/emails", SHOP, 30L << 20, false)));
      }
      for (Future<StreamingPost> f : posts) {
        StreamingPost post = f.get();
        assertThat(post.status()).as(post.headers() + post.body()).isEqualTo(413);
        assertThat(post.headers().toLowerCase()).contains("content-type: application/problem+json");
        assertThat(post.body()).contains(Problems.PAYLOAD_TOO_LARGE.toString());
        // the server read at most the limit (1 MB) and let the rest fill socket buffers: far less than 30 MB
        assertThat(post.bodyBytesWritten()).isLessThan(12L << 20);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(OUTBOX.sent()).isEmpty();
  }

  @Test
  void aDeclaredLengthOverTheLimitIsRefusedBeforeAnyBodyIsSent() throws Exception {
    StreamingPost post = StreamingPost.post(port, "/v1/emails", SHOP, 30L << 20, true);
    assertThat(post.status()).isEqualTo(413);
    assertThat(post.body()).contains(Problems.PAYLOAD_TOO_LARGE.toString());
  }

  @Test
  void aCallerCannotSendAsAnyFromAddress() throws Exception {
    for (String from : List.of("ceo@example.org", "Billing <billing@example.org>", "x@evil.shop.example.org",
        "shop.example.org@evil.example")) {
      HttpResponse<String> response = post("/v1/emails", SHOP, """
          {"from": "%s", "to": ["ann@example.org"], "subject": "Pay now", "text": "x", "mode": "now"}
          """.formatted(from));
      assertForbidden(response);
      assertThat(JSON.readTree(response.body()).get("type").asString()).isEqualTo(Problems.FROM_NOT_ALLOWED.toString());
    }
    assertThat(OUTBOX.sent()).isEmpty();
    // its own domain is fine, and so is the service's default sender... only for callers allowed it
    assertThat(post("/v1/emails", SHOP, """
        {"from": "Shop <orders@shop.example.org>", "to": ["ann@example.org"], "subject": "Order", "text": "x", "mode": "now"}
        """).statusCode()).isEqualTo(200);
    assertThat(post("/v1/emails", SHOP, """
        {"to": ["ann@example.org"], "subject": "Order", "text": "x", "mode": "now"}
        """).statusCode()).isEqualTo(403);
    assertThat(OUTBOX.sent()).hasSize(1);
    assertThat(OUTBOX.sent().get(0).from().email()).isEqualTo("orders@shop.example.org");
  }

  @Test
  void aMalformedJsonBodyIsAnInvalidRequestProblem() throws Exception {
    for (String body : List.of("{not json", "{\"to\": \"ann@example.org\", \"subject\": 42", "[]", "")) {
      HttpResponse<String> response = post("/v1/emails", SHOP, body);
      assertThat(response.statusCode()).as(body).isEqualTo(400);
      assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
          t -> assertThat(t).startsWith("application/problem+json"));
      JsonNode problem = JSON.readTree(response.body());
      assertThat(problem.get("type").asString()).as(body).isEqualTo(Problems.INVALID_REQUEST.toString());
      assertThat(problem.get("status").asInt()).isEqualTo(400);
    }
  }

  private String deadLetterOf(String token, String from) throws Exception {
    HttpResponse<String> queued = post("/v1/emails", token, """
        {"from": "%s", "to": ["%s"], "subject": "Bounces", "text": "x"}
        """.formatted(from, BOUNCE));
    assertThat(queued.statusCode()).as(queued.body()).isEqualTo(202);
    String id = JSON.readTree(queued.body()).get("id").asString();
    await().atMost(Duration.ofSeconds(10)).until(
        () -> mailer.deadLetters().list(10).stream().anyMatch(d -> d.id().equals(id)));
    return id;
  }

  private static void assertForbidden(HttpResponse<String> response) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(403);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
        t -> assertThat(t).startsWith("application/problem+json"));
    assertThat(JSON.readTree(response.body()).get("status").asInt()).isEqualTo(403);
  }

  private HttpResponse<String> get(String path, String token) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(uri(path)).GET().header("Authorization", "Bearer " + token).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> delete(String path, String token) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(uri(path)).DELETE().header("Authorization", "Bearer " + token).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String token, String json) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(json))
        .header("Content-Type", "application/json").header("Authorization", "Bearer " + token).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }
}
