package io.postline.mail.spring.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.Receipt;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * An application whose own security is too lax (the actuator open to anyone, Spring Security's CSRF
 * protection off): the console still serves no anonymous request, no user without the configured
 * role, and no action without its own token.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleUnsecuredApplicationTest {
  private static final String OUTBOX = "console-unsecured-test";
  private final HttpClient http = HttpClient.newHttpClient();
  private ConfigurableApplicationContext app;
  private Mailer mailer;
  private String console;

  @BeforeAll
  void start() {
    app = new SpringApplicationBuilder(LaxApplication.class).properties(
        "server.port=0", "server.address=127.0.0.1", "spring.main.banner-mode=off",
        "postline.mail.providers.memory.dsn=memory://" + OUTBOX,
        "postline.mail.queue.retry.max-attempts=1",
        "postline.mail.console.enabled=true",
        "postline.mail.console.role=OPS",
        "management.endpoints.web.exposure.include=postlineconsole").run();
    mailer = app.getBean(Mailer.class);
    console = "http://127.0.0.1:" + ((WebServerApplicationContext) app).getWebServer().getPort()
        + "/actuator/postlineconsole";
  }

  @AfterAll
  void stop() {
    if (app != null) {
      app.close();
    }
  }

  @Test
  void anAnonymousRequestIsRefusedEvenWhenTheApplicationLetsItThrough() throws Exception {
    HttpResponse<String> view = send(get("/queue", null));
    assertThat(view.statusCode()).isEqualTo(403);
    assertThat(view.body()).contains("anonymous");
    HttpResponse<String> page = send(HttpRequest.newBuilder(URI.create(console)).header("Accept", "text/html"));
    assertThat(page.statusCode()).isEqualTo(403);
    assertThat(page.body()).contains("id=\"refused\"").doesNotContain("postline-console-token");
  }

  @Test
  void aUserWithoutTheRoleIsRefused() throws Exception {
    HttpResponse<String> view = send(get("/queue", basic("viewer")));
    assertThat(view.statusCode()).isEqualTo(403);
    assertThat(view.body()).contains("needs the role OPS");
    assertThat(send(get("/queue", basic("ops"))).statusCode()).isEqualTo(200);
  }

  @Test
  void anActionNeedsTheConsolesTokenWhenSpringSecuritysCsrfProtectionIsOff() throws Exception {
    InMemoryProvider.named(OUTBOX).failNext(1, FailureKind.PERMANENT);
    Receipt receipt = mailer.enqueue(Email.builder().from("shop@example.org").to("ann@example.org")
        .subject("Hi").text("Hello").build());
    await().atMost(Duration.ofSeconds(20))
        .until(() -> mailer.deadLetters().list(10).stream().anyMatch(d -> d.id().equals(receipt.id())));
    String body = "{\"id\": \"" + receipt.id() + "\"}";

    HttpResponse<String> without = send(post("/purge", body).header("Authorization", basic("ops")));
    assertThat(without.statusCode()).isEqualTo(403);
    assertThat(without.body()).contains("X-Postline-Console-Token");
    HttpResponse<String> wrong = send(post("/purge", body).header("Authorization", basic("ops"))
        .header(PostlineConsoleEndpoint.TOKEN_HEADER, "forged"));
    assertThat(wrong.statusCode()).isEqualTo(403);
    assertThat(mailer.deadLetters().list(10)).anyMatch(d -> d.id().equals(receipt.id()));

    // Another user's token is not the operator's.
    String viewerToken = token(send(HttpRequest.newBuilder(URI.create(console)).header("Accept", "text/html")
        .header("Authorization", basic("ops2"))).body());
    assertThat(send(post("/purge", body).header("Authorization", basic("ops"))
        .header(PostlineConsoleEndpoint.TOKEN_HEADER, viewerToken)).statusCode()).isEqualTo(403);

    String token = token(send(HttpRequest.newBuilder(URI.create(console)).header("Accept", "text/html")
        .header("Authorization", basic("ops"))).body());
    HttpResponse<String> done = send(post("/purge", body).header("Authorization", basic("ops"))
        .header(PostlineConsoleEndpoint.TOKEN_HEADER, token));
    assertThat(done.statusCode()).isEqualTo(200);
    assertThat(done.body()).contains("\"affected\":1");
    assertThat(mailer.deadLetters().list(10)).noneMatch(d -> d.id().equals(receipt.id()));
  }

  private static String token(String page) {
    Matcher m = Pattern.compile("<meta name=\"postline-console-token\" content=\"([^\"]+)\">").matcher(page);
    assertThat(m.find()).as("the page carries the console's token").isTrue();
    return m.group(1);
  }

  private HttpRequest.Builder get(String path, String authorization) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(console + path)).header("Accept", "application/json");
    return authorization == null ? b : b.header("Authorization", authorization);
  }

  private HttpRequest.Builder post(String path, String body) {
    return HttpRequest.newBuilder(URI.create(console + path)).header("Content-Type", "application/json")
        .header("Accept", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String basic(String user) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + user + "-secret").getBytes(StandardCharsets.UTF_8));
  }

  /** The actuator open to anyone, CSRF protection off for it: the mistakes the console must survive. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class LaxApplication {

    @Bean
    SecurityFilterChain security(HttpSecurity http) throws Exception {
      http.authorizeHttpRequests(a -> a.anyRequest().permitAll())
          .csrf(c -> c.ignoringRequestMatchers("/actuator/**"))
          .httpBasic(Customizer.withDefaults());
      return http.build();
    }

    @Bean
    InMemoryUserDetailsManager users() {
      return ConsoleBrowserTest.operators();
    }
  }
}
