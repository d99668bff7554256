package io.postline.mail.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 10,000 hostile requests per provider: byte-level damage to signed requests, and structurally
 * random JSON that is then signed correctly (so the parser behind the signature check is fuzzed
 * too). The only exception allowed is the documented refusal.
 */
class WebhookFuzzTest {
  static final int RUNS = 10_000;
  static final JsonNodeFactory F = JsonNodeFactory.instance;
  static final String[] TOKENS = {"{", "}", "[", "]", "\"", ":", ",", "null", "true", "1e999999999", "-1",
      "1.5e-999999999", "\\u0000", "\\", "\"\\ud800\"", "9999999999999999999999", "{\"a\":", "[[[[[[[[", "\u00e9", "\u0000"};

  final Random random = new Random(20260301L);

  /** Outcomes of one provider's run. */
  record Tally(int accepted, int refused) {}

  private Tally run(WebhookVerifier verifier, Supplier<WebhookRequest> requests) {
    int accepted = 0;
    int refused = 0;
    for (int i = 0; i < RUNS; i++) {
      WebhookRequest request = requests.get();
      try {
        List<DeliveryEvent> events = verifier.verify(request);
        assertThat(events).doesNotContainNull();
        accepted++;
      } catch (WebhookRejectedException e) {
        assertThat(e.reason()).isNotNull();
        refused++;
      }
      // Anything else propagates and fails the test, with the seed above to reproduce it.
    }
    return new Tally(accepted, refused);
  }

  @Test
  void sendGrid() {
    Instant now = Instant.parse("2026-03-01T12:00:00Z");
    KeyPair keys = SendGridWebhookTest.ecKeys();
    SendGridWebhook webhook = SendGridWebhook.builder(SendGridWebhookTest.publicKey(keys))
        .clock(Clock.fixed(now, ZoneOffset.UTC)).build();
    String ts = Long.toString(now.getEpochSecond());
    JsonNode seed = parse(SendGridWebhookTest.BODY);
    byte[] original = SendGridWebhookTest.BODY.getBytes(StandardCharsets.UTF_8);
    String signature = SendGridWebhookTest.sign(keys, ts, original);
    Tally t = run(webhook, () -> {
      if (random.nextInt(3) == 0) {
        byte[] body = mutateStructure(seed).toString().getBytes(StandardCharsets.UTF_8);
        return SendGridWebhookTest.request(SendGridWebhookTest.sign(keys, ts, body), ts, body);
      }
      return switch (random.nextInt(3)) {
        case 0 -> SendGridWebhookTest.request(signature, ts, mutateBytes(original));
        case 1 -> SendGridWebhookTest.request(new String(mutateBytes(signature.getBytes(StandardCharsets.UTF_8)),
            StandardCharsets.ISO_8859_1), ts, original);
        default -> SendGridWebhookTest.request(signature,
            new String(mutateBytes(ts.getBytes(StandardCharsets.UTF_8)), StandardCharsets.ISO_8859_1), original);
      };
    });
    assertThat(t.accepted()).isPositive();
    assertThat(t.refused()).isPositive();
  }

  @Test
  void mailgun() {
    Instant now = Instant.parse("2026-03-01T12:00:00Z");
    MailgunWebhook webhook = MailgunWebhook.builder(MailgunWebhookTest.KEY).clock(Clock.fixed(now, ZoneOffset.UTC)).build();
    long ts = now.getEpochSecond();
    JsonNode seedEvent = parse(MailgunWebhookTest.event("failed",
        ",\"severity\":\"permanent\",\"delivery-status\":{\"code\":550,\"message\":\"no\"}"));
    Tally t = run(webhook, () -> {
      String token = UUID.randomUUID().toString();
      if (random.nextBoolean()) {
        String body = MailgunWebhookTest.body(MailgunWebhookTest.KEY, ts, token, mutateStructure(seedEvent).toString());
        return WebhookRequest.of(body.getBytes(StandardCharsets.UTF_8));
      }
      String body = MailgunWebhookTest.body(MailgunWebhookTest.KEY, ts, token, seedEvent.toString());
      byte[] bytes = random.nextInt(4) == 0
          ? mutateStructure(parse(body)).toString().getBytes(StandardCharsets.UTF_8)
          : mutateBytes(body.getBytes(StandardCharsets.UTF_8));
      return WebhookRequest.of(bytes);
    });
    assertThat(t.accepted()).isPositive();
    assertThat(t.refused()).isPositive();
  }

  @Test
  void sesThroughSns(@TempDir Path dir) throws Exception {
    try (SnsFixture sns = new SnsFixture(dir)) {
      Instant now = Instant.now();
      SesSnsWebhook webhook = sns.webhook().clock(Clock.fixed(now, ZoneOffset.UTC)).build();
      JsonNode seedMessage = parse(SesSnsWebhookTest.BOUNCE);
      int fetchesBefore = sns.certificateFetches.get();
      // Signing is the slow part: one signed envelope per version, damaged many ways.
      List<ObjectNode> envelopes = List.of(
          sns.notification(SesSnsWebhookTest.BOUNCE, now, "1"), sns.notification(SesSnsWebhookTest.BOUNCE, now, "2"));
      Tally t = run(webhook, () -> {
        int kind = random.nextInt(5);
        if (kind == 0) {
          // Random SES content, correctly signed: the SES reader behind the checks.
          return SnsFixture.request(sns.notification(mutateStructure(seedMessage).toString(), now, "2"));
        }
        ObjectNode envelope = envelopes.get(random.nextInt(2));
        return kind == 1
            ? SnsFixture.request((ObjectNode) mutateStructure(envelope))
            : WebhookRequest.of(mutateBytes(envelope.toString().getBytes(StandardCharsets.UTF_8)));
      });
      assertThat(t.accepted()).isPositive();
      assertThat(t.refused()).isPositive();
      // The certificate is cached: hostile envelopes do not turn into a fetch each.
      assertThat(sns.certificateFetches.get() - fetchesBefore).isLessThan(RUNS / 10);
    }
  }

  private static JsonNode parse(String json) {
    try {
      return SnsFixture.JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private byte[] mutateBytes(byte[] in) {
    List<Byte> out = new ArrayList<>(in.length + 16);
    for (byte b : in) {
      out.add(b);
    }
    int edits = 1 + random.nextInt(4);
    for (int e = 0; e < edits; e++) {
      int at = out.isEmpty() ? 0 : random.nextInt(out.size());
      switch (random.nextInt(4)) {
        case 0 -> {
          if (!out.isEmpty()) {
            out.set(at, (byte) (out.get(at) ^ (1 << random.nextInt(8))));
          }
        }
        case 1 -> {
          byte[] token = TOKENS[random.nextInt(TOKENS.length)].getBytes(StandardCharsets.UTF_8);
          for (int i = token.length - 1; i >= 0; i--) {
            out.add(at, token[i]);
          }
        }
        case 2 -> {
          int end = Math.min(out.size(), at + 1 + random.nextInt(32));
          out.subList(at, end).clear();
        }
        default -> {
          if (!out.isEmpty()) {
            out.set(at, (byte) random.nextInt(256));
          }
        }
      }
    }
    byte[] bytes = new byte[out.size()];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = out.get(i);
    }
    return bytes;
  }

  /** A deep copy of {@code node} with some values replaced by values of random types. */
  private JsonNode mutateStructure(JsonNode node) {
    JsonNode copy = node.deepCopy();
    mutateIn(copy, 0);
    return copy;
  }

  private void mutateIn(JsonNode node, int depth) {
    if (node instanceof ObjectNode o) {
      List<String> names = new ArrayList<>();
      o.fieldNames().forEachRemaining(names::add);
      for (String name : names) {
        if (random.nextInt(4) == 0) {
          o.set(name, randomValue(depth));
        } else {
          mutateIn(o.get(name), depth + 1);
        }
      }
      if (random.nextInt(6) == 0 && !names.isEmpty()) {
        o.remove(names.get(random.nextInt(names.size())));
      }
    } else if (node instanceof ArrayNode a) {
      for (Iterator<JsonNode> it = a.elements(); it.hasNext(); ) {
        mutateIn(it.next(), depth + 1);
      }
      if (random.nextInt(4) == 0) {
        a.add(randomValue(depth));
      }
    }
  }

  private JsonNode randomValue(int depth) {
    Function<Integer, JsonNode> nested = d -> d > 4 ? F.nullNode() : randomValue(d + 1);
    return switch (random.nextInt(10)) {
      case 0 -> F.nullNode();
      case 1 -> F.booleanNode(random.nextBoolean());
      case 2 -> F.numberNode(random.nextLong());
      case 3 -> F.numberNode(new java.math.BigDecimal("1e" + (random.nextInt(2000) - 1000)));
      case 4 -> F.numberNode(random.nextDouble() * 4e9);
      case 5 -> F.textNode(TOKENS[random.nextInt(TOKENS.length)] + "@example.org");
      case 6 -> F.textNode(new String(mutateBytes("ann@example.org".getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8));
      case 7 -> F.arrayNode().add(nested.apply(depth)).add(nested.apply(depth));
      case 8 -> F.objectNode().set(List.of("event", "emailAddress", "recipient", "bounceType").get(random.nextInt(4)), nested.apply(depth));
      default -> F.textNode(List.of("bounce", "delivered", "failed", "Bounce", "Delivery", "Complaint", "Reject",
          "DeliveryDelay", "Permanent", "temporary", "blocked", "Notification").get(random.nextInt(12)));
    };
  }

}
