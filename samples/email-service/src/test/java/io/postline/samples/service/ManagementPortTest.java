package io.postline.samples.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The actuator moved to a port of its own (a child context the application's filters do not reach
 * by themselves) still asks for a token with the operate scope.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "management.server.port=0",
    "email-service.callers.ops.scopes=operate",
    "postline.mail.providers.primary.dsn=memory://management-port-test"})
class ManagementPortTest {
  static final String SHOP = TokenCommand.newToken("dev");
  static final String OPS = TokenCommand.newToken("dev");
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @LocalServerPort
  int port;

  @LocalManagementPort
  int managementPort;

  @DynamicPropertySource
  static void tokens(DynamicPropertyRegistry registry) {
    registry.add("email-service.callers.shop.token-hashes", () -> CallerTokens.hash(SHOP));
    registry.add("email-service.callers.ops.token-hashes", () -> CallerTokens.hash(OPS));
  }

  @Test
  void theManagementPortAsksForTheOperateScope() throws Exception {
    assertThat(managementPort).isNotEqualTo(port);
    assertThat(get("/actuator/health", null).statusCode()).isEqualTo(200);
    for (String path : new String[] {"/actuator/postline", "/actuator/prometheus"}) {
      HttpResponse<String> anonymous = get(path, null);
      assertThat(anonymous.statusCode()).as(path).isEqualTo(401);
      assertThat(anonymous.body()).contains(Problems.UNAUTHORIZED.toString());
      HttpResponse<String> shop = get(path, SHOP);
      assertThat(shop.statusCode()).as(path).isEqualTo(403);
      assertThat(shop.body()).contains(Problems.FORBIDDEN.toString());
      assertThat(get(path, OPS).statusCode()).as(path).isEqualTo(200);
    }
    HttpResponse<String> purge = HTTP.send(HttpRequest.newBuilder(URI.create(
        "http://127.0.0.1:" + managementPort + "/actuator/postline/purge")).POST(HttpRequest.BodyPublishers.ofString("{}"))
        .header("Content-Type", "application/json").header("Authorization", "Bearer " + SHOP).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(purge.statusCode()).isEqualTo(403);
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path)).GET();
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
