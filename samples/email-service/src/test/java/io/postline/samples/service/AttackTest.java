package io.postline.samples.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.core.DeadLetter;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
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
class AttackTest extends MemoryProviderServiceTest {
  static final String BILLING = TokenCommand.newToken("live");
  static final String SHOP = TokenCommand.newToken("live");
  static final String OPS = TokenCommand.newToken("live");
  static final String DEV = TokenCommand.newToken("dev");

  private static final JsonMapper JSON = ServiceClient.JSON;

  AttackTest() {
    super("attack-test");
  }

  @DynamicPropertySource
  static void tokens(DynamicPropertyRegistry registry) {
    registry.add("email-service.callers.billing.token-hashes", () -> CallerTokens.hash(BILLING));
    registry.add("email-service.callers.shop.token-hashes", () -> CallerTokens.hash(SHOP));
    registry.add("email-service.callers.ops.token-hashes", () -> CallerTokens.hash(OPS));
    registry.add("email-service.callers.devtools.token-hashes", () -> CallerTokens.hash(DEV));
  }

  @Test
  void aDevelopmentTokenIsRefusedOutsideTheDevAndDemoProfiles() throws Exception {
    HttpResponse<String> refused = client.get("/v1/stats", DEV);
    ServiceClient.assertProblem(refused, 401, Problems.UNAUTHORIZED);
    assertThat(JSON.readTree(refused.body()).get("detail").asString()).contains("dev or demo profile");
    assertThat(client.get("/v1/stats", SHOP).statusCode()).isEqualTo(200);
  }

  @Test
  void anActuatorOperationThatFindsNothingAnswersAProblem() throws Exception {
    HttpResponse<String> unknown = client.get("/actuator/postline/01NOSUCHMAILID0000000000000", OPS);
    ServiceClient.assertProblem(unknown, 404, Problems.NOT_FOUND);
    assertThat(JSON.readTree(unknown.body()).get("instance").asString())
        .isEqualTo("/actuator/postline/01NOSUCHMAILID0000000000000");
    // a path nothing serves was a problem already, and stays one
    ServiceClient.assertProblem(client.get("/v1/nothing-here", SHOP), 404, Problems.NOT_FOUND);
  }

  @Test
  void aSendOnlyTokenCannotReadAnotherCallersTrailThroughTheActuator() throws Exception {
    String id = JSON.readTree(client.post("/v1/emails", BILLING, """
        {"from": "billing@example.org", "to": ["ann@example.org"], "subject": "Invoice", "text": "x", "mode": "now"}
        """).body()).get("id").asString();

    HttpResponse<String> trail = client.get("/actuator/postline/" + id, SHOP);
    assertProblem403(trail);
    assertThat(trail.body()).doesNotContain("sent");
    HttpResponse<String> overview = client.get("/actuator/postline", SHOP);
    assertProblem403(overview);
    assertThat(overview.body()).doesNotContain("deadLetters");

    assertThat(client.get("/actuator/postline/" + id, OPS).statusCode()).isEqualTo(200);
  }

  @Test
  void aSendOnlyTokenCannotRequeueOrPurgeEveryonesDeadLetters() throws Exception {
    String id = deadLetter(BILLING, """
        {"from": "billing@example.org", "to": ["%s"], "subject": "Bounces", "text": "x"}
        """.formatted(BOUNCE));

    assertProblem403(client.post("/actuator/postline/purge", SHOP, "{}"));
    assertProblem403(client.post("/actuator/postline/requeue", SHOP, "{}"));
    assertProblem403(client.post("/actuator/postline/purge", SHOP, "{\"id\": \"" + id + "\"}"));
    assertThat(mailer.deadLetters().list(10)).extracting(DeadLetter::id).containsExactly(id);

    // nor through the service's own API: another caller's dead letter does not exist for shop
    assertThat(client.get("/v1/dead-letters", SHOP).body()).doesNotContain(id);
    HttpResponse<String> purge = client.delete("/v1/dead-letters/" + id, SHOP);
    assertThat(purge.statusCode()).isEqualTo(404);
    assertThat(mailer.deadLetters().list(10)).extracting(DeadLetter::id).containsExactly(id);

    // its owner and an operator can
    assertThat(client.get("/v1/dead-letters", BILLING).body()).contains(id);
    HttpResponse<String> purged = client.post("/actuator/postline/purge", OPS, "{\"id\": \"" + id + "\"}");
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
        // the service read at most the limit (1 MB); Tomcat drains at most 2 MB more before it closes, and
        // the two sockets' buffers hold a few MB: far less than 30 MB (about 4 MB measured with curl)
        assertThat(post.bodyBytesWritten()).isLessThan(16L << 20);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(outbox.sent()).isEmpty();
  }

  @Test
  void aMultipartBodyDoesNotGoRoundTheLimit() throws Exception {
    // Spring's multipart support would have Tomcat parse up to 10 MB into parts, past the wrapped stream
    StreamingPost post = StreamingPost.post(port, "/v1/emails", SHOP, "multipart/form-data; boundary=x", 30L << 20,
        false);
    assertThat(post.status()).as(post.headers() + post.body()).isEqualTo(415);
    assertThat(post.body()).contains(Problems.UNSUPPORTED_MEDIA_TYPE.toString());
    assertThat(post.bodyBytesWritten()).isLessThan(16L << 20);
  }

  @Test
  void aClientThatHangsUpHalfwaySendsNothingAndTheServiceGoesOn() throws Exception {
    for (int i = 0; i < 20; i++) {
      StreamingPost.abandon(port, "/v1/emails", SHOP, """
          {"from": "orders@shop.example.org", "to": ["ann@example.org"], "subject": "half", "te""");
    }
    HttpResponse<String> next = client.post("/v1/emails", SHOP, """
        {"from": "orders@shop.example.org", "to": ["ann@example.org"], "subject": "whole", "text": "x", "mode": "now"}
        """);
    assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
    assertThat(outbox.sent()).extracting(e -> e.subject().orElseThrow()).containsExactly("whole");
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
      HttpResponse<String> response = client.post("/v1/emails", SHOP, """
          {"from": "%s", "to": ["ann@example.org"], "subject": "Pay now", "text": "x", "mode": "now"}
          """.formatted(from));
      assertProblem403(response);
      assertThat(JSON.readTree(response.body()).get("type").asString()).isEqualTo(Problems.FROM_NOT_ALLOWED.toString());
    }
    assertThat(outbox.sent()).isEmpty();
    // its own domain is fine, and so is the service's default sender... only for callers allowed it
    assertThat(client.post("/v1/emails", SHOP, """
        {"from": "Shop <orders@shop.example.org>", "to": ["ann@example.org"], "subject": "Order", "text": "x", "mode": "now"}
        """).statusCode()).isEqualTo(200);
    assertThat(client.post("/v1/emails", SHOP, """
        {"to": ["ann@example.org"], "subject": "Order", "text": "x", "mode": "now"}
        """).statusCode()).isEqualTo(403);
    assertThat(outbox.sent()).hasSize(1);
    assertThat(outbox.sent().get(0).from().email()).isEqualTo("orders@shop.example.org");
  }

  @Test
  void aMalformedJsonBodyIsAnInvalidRequestProblem() throws Exception {
    for (String body : List.of("{not json", "{\"to\": \"ann@example.org\", \"subject\": 42", "[]", "")) {
      HttpResponse<String> response = client.post("/v1/emails", SHOP, body);
      assertThat(response.statusCode()).as(body).isEqualTo(400);
      assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
          t -> assertThat(t).startsWith("application/problem+json"));
      JsonNode problem = JSON.readTree(response.body());
      assertThat(problem.get("type").asString()).as(body).isEqualTo(Problems.INVALID_REQUEST.toString());
      assertThat(problem.get("status").asInt()).isEqualTo(400);
    }
  }

  private static void assertProblem403(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(403);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
        t -> assertThat(t).startsWith("application/problem+json"));
    assertThat(JSON.readTree(response.body()).get("status").asInt()).isEqualTo(403);
  }
}
