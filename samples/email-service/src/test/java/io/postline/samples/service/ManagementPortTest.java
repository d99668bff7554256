package io.postline.samples.service;

import static io.postline.samples.service.ServiceClient.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The actuator moved to a port (a child context the application's filters do not reach by
 * themselves) and a base path of its own still asks for a token with the operate scope.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "management.server.port=0",
    "management.endpoints.web.base-path=/manage",
    "email-service.callers.ops.scopes=operate",
    "postline.mail.providers.primary.dsn=memory://management-port-test"})
class ManagementPortTest {
  static final String SHOP = TokenCommand.newToken("live");
  static final String OPS = TokenCommand.newToken("live");

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
    ServiceClient management = new ServiceClient(managementPort);
    assertThat(management.get("/manage/health", null).statusCode()).isEqualTo(200);
    for (String path : new String[] {"/manage/postline", "/manage/prometheus"}) {
      assertProblem(management.get(path, null), 401, Problems.UNAUTHORIZED);
      assertProblem(management.get(path, SHOP), 403, Problems.FORBIDDEN);
      assertThat(management.get(path, OPS).statusCode()).as(path).isEqualTo(200);
    }
    assertProblem(management.post("/manage/postline/purge", SHOP, "{}"), 403, Problems.FORBIDDEN);
  }
}
