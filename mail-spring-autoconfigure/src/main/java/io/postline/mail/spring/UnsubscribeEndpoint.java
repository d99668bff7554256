package io.postline.mail.spring;

import io.postline.mail.feedback.OneClickUnsubscribe;
import io.postline.mail.feedback.WebhookRejectedException;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.web.servlet.function.ServerRequest;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * The RFC 8058 one-click endpoint. A {@code POST} with the body {@code List-Unsubscribe=One-Click}
 * and the URL's signed token {@code t} records the unsubscribe (200); a refused token or body is a
 * 400. A {@code GET} (a person opening the link) changes nothing: it answers a page with a button
 * that sends that POST. The token is read from the raw query string and the body from the raw
 * stream, so a filter that reads form parameters first cannot hide it; nothing from the request
 * is logged.
 */
final class UnsubscribeEndpoint {
  private static final Logger log = LoggerFactory.getLogger(UnsubscribeEndpoint.class);
  private static final int MAX_BODY_BYTES = 4096;
  private static final String PAGE = """
      <!DOCTYPE html>
      <html><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>Unsubscribe</title></head>
      <body><form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">
      <p>Stop receiving these emails?</p><button type="submit">Unsubscribe</button></form></body></html>
      """;

  private final OneClickUnsubscribe unsubscribe;

  UnsubscribeEndpoint(OneClickUnsubscribe unsubscribe) {
    this.unsubscribe = unsubscribe;
  }

  ServerResponse post(ServerRequest request) throws IOException {
    HttpServletRequest servlet = request.servletRequest();
    byte[] raw = WebhookEndpoint.rawBody(servlet, MAX_BODY_BYTES);
    String body = raw == null ? "" : new String(raw, StandardCharsets.UTF_8);
    if (body.isEmpty() && "One-Click".equals(servlet.getParameter("List-Unsubscribe"))) {
      body = OneClickUnsubscribe.ONE_CLICK; // a filter parsed the form before us
    }
    String token = token(servlet.getQueryString());
    try {
      unsubscribe.unsubscribe(token == null ? "" : token, body);
    } catch (WebhookRejectedException e) {
      log.warn("Refused a one-click unsubscribe ({})", e.reason());
      return ServerResponse.badRequest().build();
    } catch (RuntimeException e) {
      log.error("Could not record a one-click unsubscribe ({}); answered 503", e.getClass().getName());
      return ServerResponse.status(503).build();
    }
    return ServerResponse.ok().contentType(MediaType.TEXT_PLAIN).body("You are unsubscribed.\n");
  }

  ServerResponse get(ServerRequest request) {
    return ServerResponse.ok().contentType(new MediaType(MediaType.TEXT_HTML, StandardCharsets.UTF_8))
        .header("Cache-Control", "no-store").body(PAGE);
  }

  /** The first {@code t} parameter of a raw query string. */
  static @Nullable String token(@Nullable String query) {
    if (query == null) {
      return null;
    }
    for (String pair : query.split("&")) {
      if (pair.startsWith("t=")) {
        try {
          return URLDecoder.decode(pair.substring(2), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          return null;
        }
      }
    }
    return null;
  }
}
