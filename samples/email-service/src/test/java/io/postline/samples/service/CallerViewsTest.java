package io.postline.samples.service;

import static io.postline.samples.service.ServiceClient.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postline.mail.FailureKind;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What each scope lets a caller see and do, its statistics and dead letters, the request body limit
 * at its edge, and Spring MVC's own 4xx with this service's problem types; the real service on a
 * real port, with the in-memory provider behind it.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "email-service.callers.shop.allowed-from=shop.example.org",
    "email-service.callers.counted.allowed-from=shop.example.org",
    "email-service.callers.counted.rate-limit=5",
    "email-service.callers.reader.scopes=read",
    "email-service.callers.sender.scopes=send",
    "email-service.callers.ops.scopes=operate",
    "email-service.rate-limit-period=1h",
    "email-service.max-request-size=1MB",
    "postline.mail.queue.retry.initial-delay=50ms",
    "postline.mail.providers.primary.dsn=memory://views-test"})
class CallerViewsTest extends MemoryProviderServiceTest {
  static final String SHOP = TokenCommand.newToken("live");
  static final String COUNTED = TokenCommand.newToken("live");
  static final String READER = TokenCommand.newToken("live");
  static final String SENDER = TokenCommand.newToken("live");
  static final String OPS = TokenCommand.newToken("live");
  private static final String MAIL = """
      {"from": "orders@shop.example.org", "to": ["%s"], "subject": "Order", "text": "x", "mode": "%s"}
      """;

  private static final JsonMapper JSON = ServiceClient.JSON;

  @Autowired
  CallerStatistics statistics;

  CallerViewsTest() {
    super("views-test");
  }

  @DynamicPropertySource
  static void tokens(DynamicPropertyRegistry registry) {
    registry.add("email-service.callers.shop.token-hashes", () -> CallerTokens.hash(SHOP));
    registry.add("email-service.callers.counted.token-hashes", () -> CallerTokens.hash(COUNTED));
    registry.add("email-service.callers.reader.token-hashes", () -> CallerTokens.hash(READER));
    registry.add("email-service.callers.sender.token-hashes", () -> CallerTokens.hash(SENDER));
    registry.add("email-service.callers.ops.token-hashes", () -> CallerTokens.hash(OPS));
  }

  @Test
  void eachScopeAllowsWhatItSaysAndNoMore() throws Exception {
    String id = JSON.readTree(client.post("/v1/emails", SHOP, MAIL.formatted("ann@example.org", "now")).body())
        .get("id").asString();

    // read only: reads its own statistics, sends nothing
    assertProblem(client.post("/v1/emails", READER, "{\"to\": [\"ann@example.org\"], \"subject\": \"x\", \"text\": \"y\"}"),
        403, Problems.FORBIDDEN);
    assertThat(client.get("/v1/stats", READER).statusCode()).isEqualTo(200);
    // send only: sends as the default sender, reads nothing, not even its own
    HttpResponse<String> sent = client.post("/v1/emails", SENDER, "{\"to\": [\"ann@example.org\"], \"subject\": \"x\", "
        + "\"text\": \"y\", \"mode\": \"now\"}");
    assertThat(sent.statusCode()).isEqualTo(200);
    assertProblem(client.get("/v1/emails/" + JSON.readTree(sent.body()).get("id").asString(), SENDER), 403, Problems.FORBIDDEN);
    assertProblem(client.get("/v1/stats", SENDER), 403, Problems.FORBIDDEN);
    assertProblem(client.get("/v1/dead-letters", SENDER), 403, Problems.FORBIDDEN);
    // send and read: its own, never another caller's
    assertThat(client.get("/v1/emails/" + id, SHOP).statusCode()).isEqualTo(200);
    assertProblem(client.get("/v1/emails/" + id, READER), 404, Problems.NOT_FOUND);
    assertProblem(client.get("/v1/stats/ops", SHOP), 403, Problems.FORBIDDEN);
    assertProblem(client.get("/v1/dead-letters?caller=ops", SHOP), 403, Problems.FORBIDDEN);
    assertProblem(client.get("/actuator/postline", SHOP), 403, Problems.FORBIDDEN);
    assertProblem(client.get("/actuator/prometheus", READER), 403, Problems.FORBIDDEN);
    // operate: everyone's, but sends nothing
    assertThat(JSON.readTree(client.get("/v1/emails/" + id, OPS).body()).get("status").asString()).isEqualTo("sent");
    assertThat(JSON.readTree(client.get("/v1/stats/shop", OPS).body()).get("caller").asString()).isEqualTo("shop");
    assertThat(client.get("/actuator/postline", OPS).statusCode()).isEqualTo(200);
    assertProblem(client.post("/v1/emails", OPS, MAIL.formatted("ann@example.org", "now")), 403, Problems.FORBIDDEN);
  }

  @Test
  void statisticsCountTheCallersSendsFailuresDeadLettersAndRateLimits() throws Exception {
    assertThat(client.post("/v1/emails", COUNTED, MAIL.formatted(BOUNCE, "queue")).statusCode()).isEqualTo(202);
    // the dead letter's event comes from a queue worker: wait for it without spending a request
    await().atMost(Duration.ofSeconds(10)).until(() -> statistics.of("counted").deadLettered() == 1);
    outbox.failNext(1, FailureKind.RATE_LIMITED, Duration.ofMillis(20));
    assertThat(client.post("/v1/emails", COUNTED, MAIL.formatted("ann@example.org", "now")).statusCode()).isEqualTo(200);
    outbox.failNext(1, FailureKind.PERMANENT);
    assertProblem(client.post("/v1/emails", COUNTED, MAIL.formatted("ann@example.org", "now")), 422, Problems.SEND_FAILED);
    assertThat(client.post("/v1/emails", COUNTED, MAIL.formatted("bob@example.org", "now")).statusCode()).isEqualTo(200);
    JsonNode own = JSON.readTree(client.get("/v1/stats", COUNTED).body());
    // the sixth request in the hour is one too many
    assertProblem(client.post("/v1/emails", COUNTED, MAIL.formatted("bob@example.org", "now")), 429, Problems.RATE_LIMITED);

    assertThat(own.get("caller").asString()).isEqualTo("counted");
    assertThat(own.get("sent").asLong()).isEqualTo(2);
    assertThat(own.get("failed").asLong()).isEqualTo(1);
    assertThat(own.get("deadLettered").asLong()).isEqualTo(1);
    JsonNode primary = own.get("providers").get("primary");
    assertThat(primary.get("sent").asLong()).isEqualTo(2);
    assertThat(primary.get("failed").asLong()).isEqualTo(1);
    assertThat(primary.get("deadLettered").asLong()).isEqualTo(1);
    assertThat(primary.get("rateLimited").asLong()).isEqualTo(1);

    JsonNode seenByOps = JSON.readTree(client.get("/v1/stats/counted", OPS).body());
    assertThat(seenByOps.get("rateLimited").asLong()).isEqualTo(1);
    assertThat(seenByOps.get("sent").asLong()).isEqualTo(2);
    // another caller's figures are its own
    assertThat(JSON.readTree(client.get("/v1/stats/shop", OPS).body()).get("deadLettered").asLong()).isZero();
  }

  @Test
  void aCallerListsRequeuesAndPurgesItsOwnDeadLetters() throws Exception {
    String first = deadLetter(SHOP, MAIL.formatted(BOUNCE, "queue"));
    String second = deadLetter(SHOP, MAIL.formatted(BOUNCE, "queue"));

    JsonNode letters = JSON.readTree(client.get("/v1/dead-letters", SHOP).body()).get("deadLetters");
    assertThat(letters).hasSize(2);
    assertThat(letters.get(0).get("id").asString()).isEqualTo(second);
    assertThat(letters.get(0).get("kind").asString()).isEqualTo("RECIPIENTS_REJECTED");
    assertThat(letters.get(0).get("recipients").get(0).asString()).doesNotContain("bounce@").endsWith("@example.org");
    assertThat(JSON.readTree(client.get("/v1/dead-letters", READER).body()).get("deadLetters")).isEmpty();
    assertThat(JSON.readTree(client.get("/v1/dead-letters?caller=shop", OPS).body()).get("deadLetters")).hasSize(2);

    outbox.reset();
    HttpResponse<String> requeued = client.post("/v1/dead-letters/" + first + "/requeue", SHOP, "");
    assertThat(requeued.statusCode()).as(requeued.body()).isEqualTo(200);
    assertThat(outbox.awaitSent(1, Duration.ofSeconds(10)).get(0).to().get(0).email()).isEqualTo(BOUNCE);
    assertThat(client.delete("/v1/dead-letters/" + second, SHOP).statusCode()).isEqualTo(200);
    assertThat(mailer.deadLetters().list(10)).isEmpty();
    assertProblem(client.delete("/v1/dead-letters/" + second, SHOP), 404, Problems.NOT_FOUND);
  }

  @Test
  void aBodyOfExactlyTheLimitIsTakenAndOneByteMoreIsNot() throws Exception {
    String head = "{\"from\": \"orders@shop.example.org\", \"to\": [\"ann@example.org\"], \"subject\": \"x\", \"text\": \"";
    String tail = "\"}";
    int limit = 1 << 20;
    // the text is over the service's own 1,000,000-character maximum, so the largest body is a 400, not a 413
    String atLimit = head + "a".repeat(limit - head.length() - tail.length()) + tail;
    HttpResponse<String> taken = client.post("/v1/emails", SHOP, atLimit);
    assertProblem(taken, 400, Problems.INVALID_REQUEST);
    assertProblem(client.post("/v1/emails", SHOP, atLimit.replace("{\"from", "{ \"from")), 413, Problems.PAYLOAD_TOO_LARGE);
    // the same refused while streamed, without a length
    assertProblem(client.send(client.request("/v1/emails", SHOP)
        .POST(HttpRequest.BodyPublishers.ofInputStream(
            () -> new java.io.ByteArrayInputStream((atLimit + " ").getBytes(java.nio.charset.StandardCharsets.UTF_8))))
        .header("Content-Type", "application/json")), 413, Problems.PAYLOAD_TOO_LARGE);
  }

  @Test
  void springMvcsOwnClientErrorsCarryThisServicesTypes() throws Exception {
    assertProblem(client.get("/v1/no-such-thing", SHOP), 404, Problems.NOT_FOUND);
    assertProblem(client.send(client.request("/v1/emails", SHOP).PUT(HttpRequest.BodyPublishers.ofString("{}"))
        .header("Content-Type", "application/json")), 405, Problems.METHOD_NOT_ALLOWED);
    assertProblem(client.send(client.request("/v1/emails", SHOP).POST(HttpRequest.BodyPublishers.ofString("x"))
        .header("Content-Type", "text/plain")), 415, Problems.UNSUPPORTED_MEDIA_TYPE);
    assertProblem(client.get("/v1/dead-letters?limit=many", SHOP), 400, Problems.INVALID_REQUEST);
    assertProblem(client.get("/v1/dead-letters?limit=0", SHOP), 400, Problems.INVALID_REQUEST);
    // the actuator's own refusals too
    assertProblem(client.get("/actuator/postline?limit=5000", OPS), 400, Problems.INVALID_REQUEST);
    assertProblem(client.get("/actuator/no-such-endpoint", OPS), 404, Problems.NOT_FOUND);
  }
}
