package io.postline.samples.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Calls the service on {@code port} over real HTTP, as a caller with a bearer token would.
 *
 * @param port the port the service (or its management context) listens on
 */
record ServiceClient(int port) {
  static final JsonMapper JSON = JsonMapper.builder().build();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  HttpResponse<String> get(String path, @Nullable String token) throws IOException, InterruptedException {
    return send(request(path, token).GET());
  }

  HttpResponse<String> delete(String path, String token) throws IOException, InterruptedException {
    return send(request(path, token).DELETE());
  }

  HttpResponse<String> post(String path, String token, String json) throws IOException, InterruptedException {
    return send(request(path, token).POST(HttpRequest.BodyPublishers.ofString(json))
        .header("Content-Type", "application/json"));
  }

  /** A request to {@code path} carrying {@code token}, if any. */
  HttpRequest.Builder request(String path, @Nullable String token) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The {@code id} of a JSON answer. */
  static String id(HttpResponse<String> response) {
    return JSON.readTree(response.body()).get("id").asString();
  }

  /** Asserts that {@code response} is an RFC 9457 problem with {@code status} and {@code type}. */
  static void assertProblem(HttpResponse<String> response, int status, URI type) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
        t -> assertThat(t).startsWith("application/problem+json"));
    JsonNode problem = JSON.readTree(response.body());
    assertThat(problem.get("type").asString()).as(response.body()).isEqualTo(type.toString());
    assertThat(problem.get("status").asInt()).isEqualTo(status);
  }
}
