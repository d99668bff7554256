package io.postline.mail.feedback;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A webhook request as it arrived: its headers and its raw body, byte for byte (signatures cover
 * the exact bytes, so the body must not be parsed and re-serialized before verification).
 */
public final class WebhookRequest {
  private final Map<String, String> headers;
  private final byte[] body;

  private WebhookRequest(Map<String, String> headers, byte[] body) {
    this.headers = headers;
    this.body = body;
  }

  /**
   * A request with these headers (names in any case; the first value of a repeated header
   * counts) and this raw body.
   */
  public static WebhookRequest of(Map<String, ? extends List<String>> headers, byte[] body) {
    Objects.requireNonNull(headers, "headers");
    Objects.requireNonNull(body, "body");
    Map<String, String> copy = new TreeMap<>();
    headers.forEach((name, values) -> {
      if (name != null && values != null && !values.isEmpty() && values.get(0) != null) {
        copy.putIfAbsent(name.toLowerCase(Locale.ROOT), values.get(0));
      }
    });
    return new WebhookRequest(copy, body.clone());
  }

  /** A request whose signature travels in its body (Mailgun, SNS): no headers needed. */
  public static WebhookRequest of(byte[] body) {
    return of(Map.of(), body);
  }

  /** The first value of header {@code name}, in any case. */
  public Optional<String> header(String name) {
    return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
  }

  /** A copy of the raw body. */
  public byte[] body() {
    return body.clone();
  }

  byte[] rawBody() {
    return body;
  }

  /** Says only the size: headers and body may hold signatures, tokens and addresses. */
  @Override
  public String toString() {
    return "WebhookRequest[" + headers.size() + " headers, " + body.length + " bytes]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WebhookRequest r && headers.equals(r.headers) && Arrays.equals(body, r.body);
  }

  @Override
  public int hashCode() {
    return 31 * headers.hashCode() + Arrays.hashCode(body);
  }
}
