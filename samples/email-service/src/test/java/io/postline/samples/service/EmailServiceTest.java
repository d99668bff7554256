package io.postline.samples.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The real service on a random port, called over HTTP, with a real SMTP server (GreenMail) behind
 * the Postline starter.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "email-service.callers.limited.rate-limit=2",
    "email-service.callers.ops.scopes=operate",
    "email-service.rate-limit-period=1h",
    "postline.mail.queue.retry.initial-delay=50ms"})
class EmailServiceTest {
  static final String BILLING = TokenCommand.newToken("live");
  static final String BILLING_NEXT = TokenCommand.newToken("live");
  static final String SHOP = TokenCommand.newToken("live");
  static final String LIMITED = TokenCommand.newToken("live");
  static final String OPS = TokenCommand.newToken("live");

  @RegisterExtension
  static final GreenMailExtension SMTP = new GreenMailExtension(new ServerSetup(0, "127.0.0.1", "smtp").dynamicPort())
      .withConfiguration(GreenMailConfiguration.aConfig().withDisabledAuthentication())
      .withPerMethodLifecycle(false);

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @LocalServerPort
  int port;

  @DynamicPropertySource
  static void smtp(DynamicPropertyRegistry registry) {
    registry.add("postline.mail.providers.primary.dsn",
        () -> "smtp://127.0.0.1:" + SMTP.getSmtp().getPort() + "?tls=none&tagHeaders=true");
    // only the hashes are configured, as the new-token command prints them
    registry.add("email-service.callers.billing.token-hashes",
        () -> CallerTokens.hash(BILLING) + "," + CallerTokens.hash(BILLING_NEXT));
    registry.add("email-service.callers.shop.token-hashes", () -> CallerTokens.hash(SHOP));
    registry.add("email-service.callers.limited.token-hashes", () -> CallerTokens.hash(LIMITED));
    registry.add("email-service.callers.ops.token-hashes", () -> CallerTokens.hash(OPS));
  }

  @BeforeEach
  void emptyMailboxes() throws Exception {
    SMTP.purgeEmailFromAllMailboxes();
  }

  @Test
  void healthIsOpenToEveryone() throws Exception {
    HttpResponse<String> health = get("/actuator/health", null);
    assertThat(health.statusCode()).isEqualTo(200);
    JsonNode body = JSON.readTree(health.body());
    assertThat(body.get("status").asString()).isEqualTo("UP");
    assertThat(body.get("components").get("postline").get("status").asString()).isEqualTo("UP");
  }

  @Test
  void everythingElseNeedsAKnownToken() throws Exception {
    for (String path : List.of("/v1/emails/anything", "/actuator/prometheus", "/actuator/postline")) {
      HttpResponse<String> response = get(path, null);
      assertThat(response.statusCode()).as(path).isEqualTo(401);
      assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"email-service\"");
      assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
          t -> assertThat(t).startsWith("application/problem+json"));
      assertThat(JSON.readTree(response.body()).get("status").asInt()).isEqualTo(401);
    }
    assertThat(get("/v1/emails/anything", TokenCommand.newToken("live")).statusCode()).isEqualTo(401);
    assertThat(get("/v1/emails/anything", CallerTokens.hash(BILLING)).statusCode()).isEqualTo(401);
    assertThat(post("/v1/emails", null, "{}", null).statusCode()).isEqualTo(401);
    assertThat(get("/v1/emails/anything", BILLING.substring(1)).statusCode()).isEqualTo(401);
  }

  @Test
  void sendNowThroughSmtpAndFollowTheTrail() throws Exception {
    HttpResponse<String> response = post("/v1/emails", BILLING, """
        {"to": ["ann@example.org"], "subject": "Your invoice", "text": "Amount due: 42 EUR", "mode": "now"}
        """, null);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.get("status").asString()).isEqualTo("sent");
    assertThat(body.get("provider").asString()).isEqualTo("primary");
    assertThat(body.get("recipients").get(0).get("accepted").asBoolean()).isTrue();
    String id = body.get("id").asString();
    assertThat(response.headers().firstValue("Location")).hasValue("/v1/emails/" + id);

    MimeMessage[] received = SMTP.getReceivedMessages();
    assertThat(received).hasSize(1);
    assertThat(received[0].getSubject()).isEqualTo("Your invoice");
    assertThat(received[0].getAllRecipients()[0].toString()).isEqualTo("ann@example.org");

    JsonNode trail = JSON.readTree(get("/v1/emails/" + id, BILLING).body());
    assertThat(trail.get("status").asString()).isEqualTo("sent");
    List<String> types = new ArrayList<>();
    trail.get("events").forEach(e -> types.add(e.get("type").asString()));
    assertThat(types).containsSubsequence("sending", "sent");
  }

  @Test
  void queueATemplatedEmail() throws Exception {
    HttpResponse<String> response = post("/v1/emails", BILLING, """
        {"to": ["bob@example.org"], "template": {"name": "welcome", "model": {"name": "Bob", "product": "Postline"}},
         "priority": "high", "tags": ["welcome"]}
        """, null);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    JsonNode body = JSON.readTree(response.body());
    String id = body.get("id").asString();
    assertThat(body.get("status").asString()).isEqualTo("queued");
    assertThat(response.headers().firstValue("Location")).hasValue("/v1/emails/" + id);

    assertThat(SMTP.waitForIncomingEmail(10_000, 1)).isTrue();
    assertThat(SMTP.getReceivedMessages()[0].getSubject()).isEqualTo("Welcome to Postline, Bob!");
    await().atMost(Duration.ofSeconds(10)).until(
        () -> JSON.readTree(get("/v1/emails/" + id, BILLING).body()).get("status").asString().equals("sent"));
    JsonNode first = JSON.readTree(get("/v1/emails/" + id, BILLING).body()).get("events").get(0);
    assertThat(first.get("type").asString()).isEqualTo("queued");
    assertThat(first.get("priority").asString()).isEqualTo("HIGH");
  }

  @Test
  void theSecondaryTokenWorksWhileRotating() throws Exception {
    HttpResponse<String> response = post("/v1/emails", BILLING_NEXT, """
        {"to": ["cy@example.org"], "subject": "Rotated", "text": "still works"}
        """, null);
    assertThat(response.statusCode()).isEqualTo(202);
    String id = JSON.readTree(response.body()).get("id").asString();
    assertThat(get("/v1/emails/" + id, BILLING).statusCode()).isEqualTo(200);
  }

  @Test
  void aRepeatedIdempotencyKeySendsOnce() throws Exception {
    String key = UUID.randomUUID().toString();
    String request = """
        {"to": ["dan@example.org"], "subject": "Once", "text": "only once"}
        """;
    JsonNode first = JSON.readTree(post("/v1/emails", SHOP, request, key).body());
    JsonNode second = JSON.readTree(post("/v1/emails", SHOP, request, key).body());
    assertThat(first.get("duplicate").asBoolean()).isFalse();
    assertThat(second.get("duplicate").asBoolean()).isTrue();
    assertThat(second.get("id").asString()).isEqualTo(first.get("id").asString());
    assertThat(SMTP.waitForIncomingEmail(10_000, 1)).isTrue();
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
        .until(() -> SMTP.getReceivedMessages().length == 1);
  }

  @Test
  void validationErrorsAreProblemDetails() throws Exception {
    HttpResponse<String> missing = post("/v1/emails", BILLING, """
        {"subject": "No recipient", "text": "x", "mode": "later"}
        """, null);
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(missing.headers().firstValue("Content-Type")).hasValueSatisfying(
        t -> assertThat(t).startsWith("application/problem+json"));
    JsonNode problem = JSON.readTree(missing.body());
    assertThat(problem.get("type").asString()).isEqualTo(Problems.INVALID_REQUEST.toString());
    assertThat(problem.get("status").asInt()).isEqualTo(400);
    List<String> fields = new ArrayList<>();
    problem.get("errors").forEach(e -> fields.add(e.get("field").asString()));
    assertThat(fields).contains("to", "mode");

    HttpResponse<String> both = post("/v1/emails", BILLING, """
        {"to": ["ann@example.org"], "subject": "x", "text": "y", "template": {"name": "welcome"}}
        """, null);
    assertThat(both.statusCode()).isEqualTo(400);
    assertThat(both.body()).contains("give either a template, or a subject with a text or html body");

    HttpResponse<String> badAddress = post("/v1/emails", BILLING, """
        {"to": ["not an address"], "subject": "x", "text": "y"}
        """, null);
    assertThat(badAddress.statusCode()).isEqualTo(400);
    JsonNode invalid = JSON.readTree(badAddress.body());
    assertThat(invalid.get("type").asString()).isEqualTo(Problems.INVALID_EMAIL.toString());
    assertThat(invalid.get("errors").size()).isPositive();

    HttpResponse<String> malformed = post("/v1/emails", BILLING, "{not json", null);
    assertThat(malformed.statusCode()).isEqualTo(400);
    assertThat(malformed.headers().firstValue("Content-Type")).hasValueSatisfying(
        t -> assertThat(t).startsWith("application/problem+json"));

    HttpResponse<String> unknownTemplate = post("/v1/emails", BILLING, """
        {"to": ["ann@example.org"], "template": {"name": "no-such-template"}}
        """, null);
    assertThat(unknownTemplate.statusCode()).isEqualTo(422);
    assertThat(JSON.readTree(unknownTemplate.body()).get("type").asString()).isEqualTo(Problems.TEMPLATE.toString());
  }

  @Test
  void callersAreRateLimitedWith429AndRetryAfter() throws Exception {
    String request = """
        {"to": ["eve@example.org"], "subject": "Limited", "text": "x"}
        """;
    assertThat(post("/v1/emails", LIMITED, request, null).statusCode()).isEqualTo(202);
    assertThat(post("/v1/emails", LIMITED, request, null).statusCode()).isEqualTo(202);
    HttpResponse<String> third = post("/v1/emails", LIMITED, request, null);
    assertThat(third.statusCode()).isEqualTo(429);
    assertThat(third.headers().firstValue("Retry-After")).hasValueSatisfying(
        v -> assertThat(Long.parseLong(v)).isBetween(1L, 3600L));
    assertThat(JSON.readTree(third.body()).get("type").asString()).isEqualTo(Problems.RATE_LIMITED.toString());
    // another caller is not affected
    assertThat(post("/v1/emails", SHOP, request, null).statusCode()).isEqualTo(202);
  }

  @Test
  void anotherCallersEmailIsNotFound() throws Exception {
    String id = JSON.readTree(post("/v1/emails", BILLING, """
        {"to": ["fay@example.org"], "subject": "Private", "text": "x"}
        """, null).body()).get("id").asString();
    HttpResponse<String> response = get("/v1/emails/" + id, SHOP);
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(response.body()).get("type").asString()).isEqualTo(Problems.NOT_FOUND.toString());
    assertThat(get("/v1/emails/no-such-id", BILLING).statusCode()).isEqualTo(404);
  }

  @Test
  void prometheusMetricsAndThePostlineEndpoint() throws Exception {
    post("/v1/emails", SHOP, """
        {"to": ["gus@example.org"], "subject": "Metrics", "text": "x", "mode": "now"}
        """, null);
    assertThat(get("/actuator/prometheus", SHOP).statusCode()).isEqualTo(403);
    HttpResponse<String> metrics = get("/actuator/prometheus", OPS);
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body()).contains("postline_mail_send").contains("provider=\"primary\"")
        .contains("application=\"email-service\"");

    HttpResponse<String> postline = get("/actuator/postline", OPS);
    assertThat(postline.statusCode()).isEqualTo(200);
    JsonNode counts = JSON.readTree(postline.body()).get("counts");
    assertThat(counts.has("deadLettered")).isTrue();
    assertThat(counts.get("ready").has("HIGH")).isTrue();
    assertThat(JSON.readTree(postline.body()).get("deadLetters").isArray()).isTrue();
  }

  @Test
  void thePostlineEndpointShowsTrailsAndRequeuesOverHttp() throws Exception {
    String id = JSON.readTree(post("/v1/emails", SHOP, """
        {"to": ["hal@example.org"], "subject": "Trail", "text": "x", "mode": "now"}
        """, null).body()).get("id").asString();
    HttpResponse<String> trail = get("/actuator/postline/" + id, OPS);
    assertThat(trail.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(trail.body()).get("status").asString()).isEqualTo("sent");
    assertThat(get("/actuator/postline/no-such-id", OPS).statusCode()).isEqualTo(404);

    HttpResponse<String> requeue = HTTP.send(HttpRequest.newBuilder(uri("/actuator/postline/requeue"))
        .POST(HttpRequest.BodyPublishers.ofString("{}")).header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + OPS).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(requeue.statusCode()).as(requeue.body()).isEqualTo(200);
    assertThat(JSON.readTree(requeue.body()).get("affected").asLong()).isZero();
  }

  private HttpResponse<String> get(String path, String token) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).GET();
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String token, String json, String idempotencyKey)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(json))
        .header("Content-Type", "application/json");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (idempotencyKey != null) {
      b.header("Idempotency-Key", idempotencyKey);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }
}
