package io.postline.mail.spring.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
 * With a management port of its own, the console is served there (and not on the application's
 * port), behind the same Spring Security, with Spring Security's CSRF protection applying to its
 * actions on top of the console's token.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleManagementPortTest {
  private final HttpClient http = HttpClient.newHttpClient();
  private ConfigurableApplicationContext app;
  private String management;
  private String server;

  @BeforeAll
  void start() {
    app = new SpringApplicationBuilder(ManagedApplication.class).properties(
        "server.port=0", "server.address=127.0.0.1", "management.server.port=0",
        "management.server.address=127.0.0.1", "spring.main.banner-mode=off",
        "postline.mail.providers.memory.dsn=memory://console-management-port-test",
        "postline.mail.console.enabled=true",
        "management.endpoints.web.exposure.include=postlineconsole").run();
    server = "http://127.0.0.1:" + ((WebServerApplicationContext) app).getWebServer().getPort();
    management = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.management.port");
  }

  @AfterAll
  void stop() {
    if (app != null) {
      app.close();
    }
  }

  @Test
  void isServedOnTheManagementPortBehindTheApplicationsSecurity() throws Exception {
    assertThat(management).isNotEqualTo(server);
    assertThat(send(HttpRequest.newBuilder(URI.create(management + "/actuator/postlineconsole/queue"))).statusCode())
        .as("no credentials").isEqualTo(401);
    HttpResponse<String> page = send(HttpRequest.newBuilder(URI.create(management + "/actuator/postlineconsole"))
        .header("Accept", "text/html").header("Authorization", basic()));
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("<title>Postline console</title>");
    assertThat(send(HttpRequest.newBuilder(URI.create(server + "/actuator/postlineconsole"))
        .header("Accept", "text/html").header("Authorization", basic())).statusCode())
        .as("not on the application's port").isEqualTo(404);

    // The console's token alone is not enough where Spring Security's CSRF protection is on.
    Matcher token = Pattern.compile("<meta name=\"postline-console-token\" content=\"([^\"]+)\">").matcher(page.body());
    assertThat(token.find()).isTrue();
    assertThat(send(HttpRequest.newBuilder(URI.create(management + "/actuator/postlineconsole/requeue"))
        .header("Content-Type", "application/json").header("Authorization", basic())
        .header(PostlineConsoleEndpoint.TOKEN_HEADER, token.group(1))
        .POST(HttpRequest.BodyPublishers.ofString("{}"))).statusCode()).isEqualTo(403);
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String basic() {
    return "Basic " + Base64.getEncoder().encodeToString("ops:ops-secret".getBytes(StandardCharsets.UTF_8));
  }

  /** HTTP basic for everything, the actuator for role OPS, CSRF protection on (Spring Security's default). */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class ManagedApplication {

    @Bean
    SecurityFilterChain security(HttpSecurity http) throws Exception {
      http.authorizeHttpRequests(a -> a.requestMatchers("/error").permitAll()
              .requestMatchers("/actuator/**").hasRole("OPS").anyRequest().authenticated())
          .httpBasic(Customizer.withDefaults());
      return http.build();
    }

    @Bean
    InMemoryUserDetailsManager users() {
      return ConsoleBrowserTest.operators();
    }
  }
}
