package io.postline.mail.feedback;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local HTTPS server standing in for {@code sns.<region>.amazonaws.com}: it serves a freshly
 * made signing certificate and counts subscription confirmations. Messages are signed the way SNS
 * signs them.
 */
final class SnsFixture implements AutoCloseable {
  static final String TOPIC = "arn:aws:sns:eu-west-1:123456789012:ses-feedback";
  static final JsonMapper JSON = JsonMapper.builder().build();

  final TestKeys server;
  final TestKeys signing;
  final TestKeys otherSigning;
  final HttpsServer https;
  final AtomicInteger certificateFetches = new AtomicInteger();
  final AtomicInteger confirmations = new AtomicInteger();
  /** How many of the next confirmation GETs fail (answered 500, as SNS does when it cannot confirm). */
  final AtomicInteger failingConfirmations = new AtomicInteger();

  SnsFixture(Path dir) throws Exception {
    server = TestKeys.generate(dir, "localhost", 2);
    signing = TestKeys.generate(dir, "sns.amazonaws.com", 2);
    otherSigning = TestKeys.generate(dir, "sns.amazonaws.com", 2);
    String pem = signing.pem();
    https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    https.setHttpsConfigurator(new HttpsConfigurator(server.serverContext()));
    https.createContext("/SimpleNotificationService-test.pem", exchange -> {
      certificateFetches.incrementAndGet();
      byte[] bytes = pem.getBytes(StandardCharsets.US_ASCII);
      exchange.sendResponseHeaders(200, bytes.length);
      exchange.getResponseBody().write(bytes);
      exchange.close();
    });
    https.createContext("/moved.pem", exchange -> {
      exchange.getResponseHeaders().add("Location", certUrl());
      exchange.sendResponseHeaders(302, -1);
      exchange.close();
    });
    https.createContext("/", exchange -> {
      boolean confirm = "ConfirmSubscription".equals(query(exchange.getRequestURI().getRawQuery()));
      if (confirm && failingConfirmations.getAndUpdate(n -> Math.max(n - 1, 0)) > 0) {
        exchange.sendResponseHeaders(500, -1);
      } else if (confirm) {
        confirmations.incrementAndGet();
        exchange.sendResponseHeaders(200, -1);
      } else {
        exchange.sendResponseHeaders(404, -1);
      }
      exchange.close();
    });
    https.start();
  }

  private static String query(String q) {
    return q != null && q.startsWith("Action=") ? q.substring(7, q.contains("&") ? q.indexOf('&') : q.length()) : "";
  }

  int port() {
    return https.getAddress().getPort();
  }

  String certUrl() {
    return "https://localhost:" + port() + "/SimpleNotificationService-test.pem";
  }

  SesSnsWebhook.Builder webhook() throws Exception {
    return SesSnsWebhook.builder(java.util.Set.of(TOPIC))
        .certificateHostForTesting("localhost", port(), server.trustingContext());
  }

  /** A signed notification carrying {@code message}. */
  ObjectNode notification(String message, Instant at, String version) {
    ObjectNode n = JSON.createObjectNode();
    n.put("Type", "Notification");
    n.put("MessageId", UUID.randomUUID().toString());
    n.put("TopicArn", TOPIC);
    n.put("Subject", "Amazon SES Email Event Notification");
    n.put("Message", message);
    n.put("Timestamp", at.toString());
    n.put("SignatureVersion", version);
    n.put("SigningCertURL", certUrl());
    n.put("UnsubscribeURL", "https://localhost:" + port() + "/?Action=Unsubscribe");
    return sign(n, signing.privateKey);
  }

  ObjectNode subscriptionConfirmation(Instant at) {
    ObjectNode n = JSON.createObjectNode();
    n.put("Type", "SubscriptionConfirmation");
    n.put("MessageId", UUID.randomUUID().toString());
    n.put("Token", "2336412f37fb687f5d51e6e2425c464de257e0f7b5");
    n.put("TopicArn", TOPIC);
    n.put("Message", "You have chosen to subscribe to the topic.");
    n.put("SubscribeURL", "https://localhost:" + port() + "/?Action=ConfirmSubscription&Token=2336412f");
    n.put("Timestamp", at.toString());
    n.put("SignatureVersion", "2");
    n.put("SigningCertURL", certUrl());
    return sign(n, signing.privateKey);
  }

  /** Signs {@code n} as SNS does, with {@code key}, per its SignatureVersion. */
  static ObjectNode sign(ObjectNode n, PrivateKey key) {
    boolean notification = "Notification".equals(n.path("Type").asText());
    String[] fields = notification
        ? new String[] {"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
        : new String[] {"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"};
    StringBuilder canonical = new StringBuilder();
    for (String f : fields) {
      if (n.hasNonNull(f)) {
        canonical.append(f).append('\n').append(n.get(f).asText()).append('\n');
      }
    }
    try {
      Signature s = Signature.getInstance("1".equals(n.path("SignatureVersion").asText()) ? "SHA1withRSA" : "SHA256withRSA");
      s.initSign(key);
      s.update(canonical.toString().getBytes(StandardCharsets.UTF_8));
      n.put("Signature", Base64.getEncoder().encodeToString(s.sign()));
      return n;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static WebhookRequest request(ObjectNode n) {
    return WebhookRequest.of(n.toString().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    https.stop(0);
  }
}
