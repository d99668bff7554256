package io.postline.mail.spring;

import static io.postline.mail.spring.TestSupport.box;
import static io.postline.mail.spring.TestSupport.email;
import static io.postline.mail.spring.TestSupport.outbox;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.lettuce.core.RedisClient;
import io.postline.mail.Address;
import io.postline.mail.Email;
import io.postline.mail.RecipientsSuppressedException;
import io.postline.mail.core.AddressHasher;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.SuppressionEntry;
import io.postline.mail.core.SuppressionEntry.Reason;
import io.postline.mail.core.SuppressionList;
import io.postline.mail.feedback.DeliveryEvent;
import io.postline.mail.feedback.OneClickUnsubscribe;
import io.postline.mail.feedback.SendGridSigner;
import io.postline.mail.feedback.SendGridWebhook;
import io.postline.mail.queue.redis.RedisUnavailableException;
import io.postline.mail.SendResult;
import io.postline.mail.core.IdempotencyStore;
import java.util.Optional;
import io.postline.mail.queue.redis.RedisSuppressionList;
import io.postline.mail.tck.DroppingProxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableWebApplicationContext;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.ApplicationListener;
import org.springframework.context.PayloadApplicationEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.context.WebApplicationContext;
import org.springframework.web.servlet.function.RouterFunction;

/**
 * The webhook and one-click endpoints through Spring MVC (MockMvc on the auto-configured context):
 * payloads signed with keys made here, tampered and replayed ones, the Mailer enforcing what they
 * suppress, the answers each provider expects, and logs that never quote a key, token or address.
 */
class FeedbackEndpointsTest {
  static final String HASH_KEY = Base64.getEncoder().encodeToString(random(32));
  static final String MAILGUN_KEY = "mg-signing-" + UUID.randomUUID();
  static final byte[] UNSUBSCRIBE_KEY = random(32);
  static final KeyPair SENDGRID = ecKeys();

  private final String outbox = outbox();
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  @BeforeEach
  void captureLogs() {
    logs.start();
    root.addAppender(logs);
  }

  @AfterEach
  void releaseLogs() {
    root.detachAppender(logs);
  }

  static byte[] random(int n) {
    byte[] b = new byte[n];
    new SecureRandom().nextBytes(b);
    return b;
  }

  static KeyPair ecKeys() {
    return SendGridSigner.keys();
  }

  WebApplicationContextRunner runner() {
    return new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(PostlineMailAutoConfiguration.class,
            PostlineFeedbackAutoConfiguration.class, PostlineEndpointAutoConfiguration.class))
        .withPropertyValues(
            "postline.mail.providers.main.dsn=memory://" + outbox,
            "postline.mail.suppression.hash-key=" + HASH_KEY,
            "postline.mail.webhooks.sendgrid.verification-key="
                + SendGridSigner.verificationKey(SENDGRID),
            "postline.mail.webhooks.mailgun.signing-key=" + MAILGUN_KEY,
            "postline.mail.unsubscribe.url=https://mail.example.org/mail/unsubscribe",
            "postline.mail.unsubscribe.signing-keys=2026-01:" + Base64.getEncoder().encodeToString(UNSUBSCRIBE_KEY),
            "management.endpoints.web.exposure.include=postline");
  }

  static MockMvc mvc(AssertableWebApplicationContext context) {
    return MockMvcBuilders.webAppContextSetup((WebApplicationContext) context.getSourceApplicationContext()).build();
  }

  static String sendGridBody(String event, String extra) {
    long now = Instant.now().getEpochSecond();
    return "[{\"email\":\"ann@example.org\",\"timestamp\":" + now + ",\"event\":\"" + event + "\"" + extra
        + ",\"sg_event_id\":\"" + UUID.randomUUID() + "\"}]";
  }

  static int postSendGrid(MockMvc mvc, KeyPair signer, String timestamp, byte[] signed, byte[] sent) throws Exception {
    return mvc.perform(post("/webhooks/sendgrid").contentType(MediaType.APPLICATION_JSON).content(sent)
            .header("X-Twilio-Email-Event-Webhook-Signature", SendGridSigner.sign(signer, timestamp, signed))
            .header("X-Twilio-Email-Event-Webhook-Timestamp", timestamp))
        .andReturn().getResponse().getStatus();
  }

  static String mailgunBody(String key, long timestamp, String token, String recipient) {
    String hmac;
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      hmac = HexFormat.of().formatHex(mac.doFinal((timestamp + token).getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return "{\"signature\":{\"timestamp\":\"" + timestamp + "\",\"token\":\"" + token + "\",\"signature\":\"" + hmac
        + "\"},\"event-data\":{\"event\":\"failed\",\"severity\":\"permanent\",\"reason\":\"bounce\","
        + "\"timestamp\":" + timestamp + ".5,\"recipient\":\"" + recipient + "\","
        + "\"delivery-status\":{\"code\":550,\"enhanced-code\":\"5.1.1\",\"message\":\"no such user\"}}}";
  }

  static int postMailgun(MockMvc mvc, String body) throws Exception {
    return mvc.perform(post("/webhooks/mailgun").contentType(MediaType.APPLICATION_JSON)
        .content(body.getBytes(StandardCharsets.UTF_8))).andReturn().getResponse().getStatus();
  }

  private void assertNoSecretsLogged(String... secrets) {
    List<String> lines = logs.list.stream().map(e -> e.getFormattedMessage()
        + (e.getThrowableProxy() == null ? "" : " " + e.getThrowableProxy().getMessage())).toList();
    for (String secret : secrets) {
      assertThat(lines).noneMatch(l -> l.contains(secret));
    }
  }

  @Test
  void withoutFeedbackPropertiesNothingIsAdded() {
    new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(PostlineMailAutoConfiguration.class,
            PostlineFeedbackAutoConfiguration.class))
        .withPropertyValues("postline.mail.providers.main.dsn=memory://" + outbox)
        .run(context -> {
          assertThat(context).hasSingleBean(Mailer.class).doesNotHaveBean(SuppressionList.class)
              .doesNotHaveBean(RouterFunction.class).doesNotHaveBean(AddressHasher.class);
        });
  }

  @Test
  void onlyTheConfiguredProvidersGetAnEndpoint() throws Exception {
    new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(PostlineMailAutoConfiguration.class,
            PostlineFeedbackAutoConfiguration.class))
        .withPropertyValues("postline.mail.providers.main.dsn=memory://" + outbox,
            "postline.mail.suppression.hash-key=" + HASH_KEY,
            "postline.mail.webhooks.mailgun.signing-key=" + MAILGUN_KEY)
        .run(context -> {
          assertThat(context).hasSingleBean(SuppressionList.class).hasSingleBean(RouterFunction.class)
              .doesNotHaveBean(OneClickUnsubscribe.class);
          MockMvc mvc = mvc(context);
          assertThat(mvc.perform(post("/webhooks/sendgrid").content("[]")).andReturn().getResponse().getStatus())
              .isEqualTo(404);
          assertThat(postMailgun(mvc, "{}")).isEqualTo(406);
        });
  }

  @Test
  void aMissingHashKeyStopsStartUpNamingTheProperty() {
    new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(PostlineMailAutoConfiguration.class,
            PostlineFeedbackAutoConfiguration.class))
        .withPropertyValues("postline.mail.providers.main.dsn=memory://" + outbox,
            "postline.mail.webhooks.mailgun.signing-key=" + MAILGUN_KEY)
        .run(context -> assertThat(invalid(context))
            .isInstanceOfSatisfying(InvalidPostlinePropertyException.class,
                e -> assertThat(e.property()).isEqualTo("postline.mail.suppression.hash-key"))
            .hasMessageNotContaining(MAILGUN_KEY));
  }

  @Test
  void badFeedbackPropertiesStopStartUpNamingThePropertyWithoutQuotingKeys() {
    String shortKey = Base64.getEncoder().encodeToString(random(16));
    WebApplicationContextRunner base = new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(PostlineMailAutoConfiguration.class,
            PostlineFeedbackAutoConfiguration.class))
        .withPropertyValues("postline.mail.providers.main.dsn=memory://" + outbox);
    base.withPropertyValues("postline.mail.suppression.hash-key=" + shortKey).run(context ->
        assertThat(invalid(context)).isInstanceOfSatisfying(InvalidPostlinePropertyException.class,
            e -> assertThat(e.property()).isEqualTo("postline.mail.suppression.hash-key"))
            .hasMessageContaining("32 bytes").hasMessageNotContaining(shortKey));
    base.withPropertyValues("postline.mail.suppression.hash-key=" + HASH_KEY,
        "postline.mail.webhooks.sendgrid.path=/webhooks/sg").run(context ->
        assertThat(invalid(context)).isInstanceOfSatisfying(InvalidPostlinePropertyException.class,
            e -> assertThat(e.property()).isEqualTo("postline.mail.webhooks.sendgrid.verification-key")));
    base.withPropertyValues("postline.mail.suppression.hash-key=" + HASH_KEY,
        "postline.mail.webhooks.ses.topic-arns=not-an-arn").run(context ->
        assertThat(invalid(context)).isInstanceOfSatisfying(InvalidPostlinePropertyException.class,
            e -> assertThat(e.property()).isEqualTo("postline.mail.webhooks.ses.topic-arns")));
    base.withPropertyValues("postline.mail.suppression.hash-key=" + HASH_KEY,
        "postline.mail.unsubscribe.url=https://mail.example.org/unsubscribe",
        "postline.mail.unsubscribe.signing-keys=k1:" + shortKey).run(context ->
        assertThat(invalid(context)).isInstanceOfSatisfying(InvalidPostlinePropertyException.class,
            e -> assertThat(e.property()).isEqualTo("postline.mail.unsubscribe.signing-keys"))
            .hasMessageNotContaining(shortKey));
    base.withPropertyValues("postline.mail.suppression.hash-key=" + HASH_KEY,
        "postline.mail.unsubscribe.url=http://mail.example.org/unsubscribe",
        "postline.mail.unsubscribe.signing-keys=k1:" + HASH_KEY).run(context ->
        assertThat(invalid(context)).isInstanceOfSatisfying(InvalidPostlinePropertyException.class,
            e -> assertThat(e.property()).isEqualTo("postline.mail.unsubscribe.url")));
  }

  @Test
  void aSignedSendGridBounceSuppressesTheAddressForTheMailerAndTheEndpointCountsIt() throws Exception {
    runner().withUserConfiguration(EventRecorder.class).run(context -> {
      MockMvc mvc = mvc(context);
      Mailer mailer = context.getBean(Mailer.class);
      SuppressionList suppressions = context.getBean(SuppressionList.class);
      String mailId = mailer.send(email("ann@example.org")).mailId().orElseThrow();
      String ts = Long.toString(Instant.now().getEpochSecond());
      byte[] body = sendGridBody("bounce", ",\"type\":\"bounce\",\"status\":\"5.1.1\",\"reason\":\"550 no such user\","
          + "\"postline_mail_id\":\"" + mailId + "\"").getBytes(StandardCharsets.UTF_8);

      assertThat(postSendGrid(mvc, SENDGRID, ts, body, body)).isEqualTo(200);
      assertThat(mailer.audit().find(mailId)).last().extracting(e -> e.type()).isEqualTo("delivery");

      assertThat(suppressions.find(suppressions.hash(Address.of("ann@example.org")), null)).get()
          .extracting(SuppressionEntry::reason, SuppressionEntry::source).containsExactly(Reason.HARD_BOUNCE, "sendgrid");
      assertThat(context.getBean(EventRecorder.class).events).singleElement()
          .extracting(DeliveryEvent::type).isEqualTo(DeliveryEvent.Type.HARD_BOUNCE);
      assertThatThrownBy(() -> mailer.send(email("ann@example.org"))).isInstanceOf(RecipientsSuppressedException.class);
      mailer.send(email("bob@example.org"));
      assertThat(box(outbox).sent()).extracting(e -> e.to().get(0).email())
          .containsExactly("ann@example.org", "bob@example.org");
      assertThat(context.getBean(PostlineEndpoint.class).queue(0).suppressions())
          .isEqualTo(new PostlineEndpoint.Suppressions(1));
      assertNoSecretsLogged("ann@example.org", MAILGUN_KEY, HASH_KEY);
    });
  }

  @Test
  void tamperedStaleOrWronglySignedSendGridRequestsAreRefusedWith403AndChangeNothing() throws Exception {
    runner().run(context -> {
      MockMvc mvc = mvc(context);
      SuppressionList suppressions = context.getBean(SuppressionList.class);
      String ts = Long.toString(Instant.now().getEpochSecond());
      byte[] body = sendGridBody("spamreport", "").getBytes(StandardCharsets.UTF_8);
      byte[] tampered = new String(body, StandardCharsets.UTF_8).replace("ann@", "bob@").getBytes(StandardCharsets.UTF_8);
      String stale = Long.toString(Instant.now().minus(Duration.ofHours(1)).getEpochSecond());

      assertThat(postSendGrid(mvc, SENDGRID, ts, body, tampered)).isEqualTo(403);
      assertThat(postSendGrid(mvc, ecKeys(), ts, body, body)).isEqualTo(403);
      assertThat(postSendGrid(mvc, SENDGRID, stale, body, body)).isEqualTo(403);
      assertThat(mvc.perform(post("/webhooks/sendgrid").content(body)).andReturn().getResponse().getStatus())
          .isEqualTo(403);
      assertThat(suppressions.count()).isZero();
      assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
          .anyMatch(l -> l.contains("sendgrid") && l.contains("BAD_SIGNATURE"))
          .anyMatch(l -> l.contains("STALE"));
      assertNoSecretsLogged("ann@example.org", "bob@example.org", HASH_KEY);
    });
  }

  @Test
  void mailgunAnswers200OnceAndForAReplayAnd406ForAForgery() throws Exception {
    runner().run(context -> {
      MockMvc mvc = mvc(context);
      SuppressionList suppressions = context.getBean(SuppressionList.class);
      String token = UUID.randomUUID().toString().replace("-", "") + "0123456789abcdefgh";
      long now = Instant.now().getEpochSecond();
      String body = mailgunBody(MAILGUN_KEY, now, token, "ann@example.org");

      assertThat(postMailgun(mvc, body)).isEqualTo(200);
      assertThat(suppressions.count()).isEqualTo(1);
      suppressions.remove(suppressions.hash(Address.of("ann@example.org")));

      assertThat(postMailgun(mvc, body)).as("a replay is answered 200 and not applied again").isEqualTo(200);
      assertThat(suppressions.count()).isZero();

      String forged = mailgunBody("not-the-key", now, token + "x", "eve@example.org");
      assertThat(postMailgun(mvc, forged)).isEqualTo(406);
      assertThat(postMailgun(mvc, body.replace("ann@example.org", "eve@example.org"))).isEqualTo(200); // replay again
      assertThat(postMailgun(mvc, mailgunBody(MAILGUN_KEY, now - 3600, token + "y", "eve@example.org")))
          .isEqualTo(406);
      assertThat(suppressions.count()).isZero();
      assertNoSecretsLogged("ann@example.org", "eve@example.org", token, MAILGUN_KEY);
    });
  }

  @Test
  void oneClickUnsubscribeRecordsTheListAndTheMailerHonoursIt() throws Exception {
    runner().run(context -> {
      MockMvc mvc = mvc(context);
      Mailer mailer = context.getBean(Mailer.class);
      OneClickUnsubscribe unsubscribe = context.getBean(OneClickUnsubscribe.class);
      Email newsletter = unsubscribe.apply(email("ann@example.org"), "news");
      String header = newsletter.headers().get(OneClickUnsubscribe.LIST_UNSUBSCRIBE);
      URI url = URI.create(header.substring(1, header.indexOf('>')));
      assertThat(url.getHost()).isEqualTo("mail.example.org");
      assertThat(url.getPath()).isEqualTo("/mail/unsubscribe");
      String token = url.getRawQuery().substring(2);

      // A person opening the link sees a button; nothing changes.
      var page = mvc.perform(get(url.getPath() + "?" + url.getRawQuery())).andReturn().getResponse();
      assertThat(page.getStatus()).isEqualTo(200);
      assertThat(page.getContentAsString()).contains("method=\"post\"").contains("List-Unsubscribe")
          .doesNotContain(token);
      assertThat(context.getBean(SuppressionList.class).count()).isZero();

      String tampered = token.substring(0, token.length() - 2) + (token.endsWith("AA") ? "BB" : "AA");
      assertThat(mvc.perform(post(url.getPath() + "?t=" + tampered).contentType(MediaType.APPLICATION_FORM_URLENCODED)
          .content("List-Unsubscribe=One-Click")).andReturn().getResponse().getStatus()).isEqualTo(400);
      assertThat(mvc.perform(post(url.getPath() + "?t=" + token).contentType(MediaType.APPLICATION_FORM_URLENCODED)
          .content("something=else")).andReturn().getResponse().getStatus()).isEqualTo(400);
      assertThat(context.getBean(SuppressionList.class).count()).isZero();

      assertThat(mvc.perform(post(url.getPath() + "?t=" + token).contentType(MediaType.APPLICATION_FORM_URLENCODED)
          .content("List-Unsubscribe=One-Click")).andReturn().getResponse().getStatus()).isEqualTo(200);

      assertThatThrownBy(() -> mailer.send(newsletter)).isInstanceOf(RecipientsSuppressedException.class);
      mailer.send(email("ann@example.org")); // transactional mail names no list and still goes
      assertThat(box(outbox).sent()).hasSize(1);
      assertNoSecretsLogged("ann@example.org", token);
    });
  }

  @Test
  void whenTheSuppressionListIsUnreachableTheWebhookAnswers503AndTheProvidersRetryIsApplied() throws Exception {
    URI redis = URI.create(TestSupport.REDIS_URL);
    String prefix = "pltest-fb-" + UUID.randomUUID().toString().substring(0, 8);
    AddressHasher hasher = AddressHasher.hmacSha256(Base64.getDecoder().decode(HASH_KEY));
    String annHash = hasher.hash(Address.of("ann@example.org")).hex();
    try (DroppingProxy proxy = new DroppingProxy(redis.getHost(), redis.getPort())) {
      RedisClient client = RedisClient.create("redis://127.0.0.1:" + proxy.port());
      client.setOptions(io.postline.mail.queue.redis.RedisMailQueue.recommendedClientOptions().mutate()
          .timeoutOptions(io.lettuce.core.TimeoutOptions.enabled(Duration.ofSeconds(1))).build());
      try (RedisSuppressionList list = RedisSuppressionList.builder(client, hasher).keyPrefix(prefix)
          .operationTimeout(Duration.ofMillis(500)).build()) {
        runner().withBean(SuppressionList.class, () -> list).run(context -> {
          assertThat(context.getBean(SuppressionList.class)).isSameAs(list);
          MockMvc mvc = mvc(context);
          String token = UUID.randomUUID().toString().replace("-", "") + "0123456789abcdefgh";
          String body = mailgunBody(MAILGUN_KEY, Instant.now().getEpochSecond(), token, "ann@example.org");

          proxy.dropRepliesTo(annHash); // Redis runs the script, its reply never arrives
          assertThat(postMailgun(mvc, body)).isEqualTo(503);
          assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
              .anyMatch(l -> l.contains("RedisUnavailableException") && l.contains("503"));

          proxy.passThrough(); // Mailgun sends the same request again: not a replay, applied
          assertThat(postMailgun(mvc, body)).isEqualTo(200);
          assertThat(list.count()).isEqualTo(1);
          assertThat(postMailgun(mvc, body)).as("now it is a replay").isEqualTo(200);
          assertThat(list.count()).isEqualTo(1);
          assertNoSecretsLogged("ann@example.org", annHash, token, MAILGUN_KEY, HASH_KEY);
          list.remove(hasher.hash(Address.of("ann@example.org")));
        });
      } finally {
        client.shutdown();
      }
    }
  }

  @Test
  void whenTheSharedReplayMemoryIsUnreachableTheWebhookAnswers503() {
    IdempotencyStore unreachable = new IdempotencyStore() {
      @Override
      public Optional<Claim> claim(String key, String mailId) {
        throw new RedisUnavailableException("Redis did not answer", new java.io.IOException("connection reset"));
      }

      @Override
      public Optional<Claim> find(String key) {
        throw new UnsupportedOperationException();
      }

      @Override
      public void succeeded(String key, String mailId, SendResult result) {
        throw new UnsupportedOperationException();
      }

      @Override
      public void release(String key, String mailId) {
        throw new UnsupportedOperationException();
      }
    };
    runner().withUserConfiguration(EventRecorder.class)
        .withBean(SendGridWebhook.class, () -> SendGridWebhook.builder(SendGridSigner.verificationKey(SENDGRID))
            .replayStore(unreachable).build())
        .run(context -> {
          String ts = Long.toString(Instant.now().getEpochSecond());
          byte[] body = sendGridBody("bounce", ",\"type\":\"bounce\"").getBytes(StandardCharsets.UTF_8);
          assertThat(postSendGrid(mvc(context), SENDGRID, ts, body, body)).isEqualTo(503);
          assertThat(context.getBean(EventRecorder.class).events).isEmpty();
          assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
              .anyMatch(l -> l.contains("sendgrid") && l.contains("RedisUnavailableException") && l.contains("503"));
        });
  }

  /** The InvalidPostlinePropertyException start-up failed with. */
  static Throwable invalid(AssertableWebApplicationContext context) {
    Throwable t = context.getStartupFailure();
    while (t != null && !(t instanceof InvalidPostlinePropertyException)) {
      t = t.getCause();
    }
    assertThat(t).as("start-up failed with an InvalidPostlinePropertyException").isNotNull();
    return t;
  }

  /** Records the DeliveryEvents published as application events. */
  @Configuration(proxyBeanMethods = false)
  static class EventRecorder {
    final List<DeliveryEvent> events = new CopyOnWriteArrayList<>();

    @Bean
    ApplicationListener<PayloadApplicationEvent<DeliveryEvent>> deliveryEvents() {
      return e -> events.add(e.getPayload());
    }
  }

}
