package io.postline.mail.feedback;

import static org.assertj.core.api.Assertions.assertThat;


import com.fasterxml.jackson.databind.node.ObjectNode;
import io.postline.mail.Address;
import io.postline.mail.core.SuppressionEntry;
import io.postline.mail.core.SuppressionList;
import io.postline.mail.spring.PostlineFeedbackAutoConfiguration;
import io.postline.mail.spring.PostlineMailAutoConfiguration;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.context.WebApplicationContext;

/**
 * The SES (SNS) endpoint of the Spring auto-configuration, against SNS messages signed with a
 * certificate made for the test and served by a local HTTPS server (mail-feedback's SnsFixture).
 * The application's own {@link SesSnsWebhook} bean, the only way to point the verifier at that
 * server, replaces the one the properties describe; the route comes from the properties.
 */
class SesSpringEndpointTest {
  static SnsFixture sns;
  static final String BOUNCE = """
      {"eventType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General",
        "bouncedRecipients":[{"emailAddress":"ann@example.org","action":"failed","status":"5.1.1",
          "diagnosticCode":"smtp; 550 5.1.1 user unknown"}],"timestamp":"%s"},
       "mail":{"timestamp":"%s","messageId":"0102-ses-id","destination":["ann@example.org"]}}
      """;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    sns = new SnsFixture(dir);
  }

  @AfterAll
  static void stop() {
    sns.close();
  }

  WebApplicationContextRunner runner() throws Exception {
    return runner(sns.webhook().build());
  }

  WebApplicationContextRunner runner(SesSnsWebhook webhook) {
    byte[] hashKey = new byte[32];
    new SecureRandom().nextBytes(hashKey);
    return new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(PostlineMailAutoConfiguration.class,
            PostlineFeedbackAutoConfiguration.class))
        .withBean(SesSnsWebhook.class, () -> webhook)
        .withPropertyValues("postline.mail.providers.main.dsn=memory://ses-" + UUID.randomUUID(),
            "postline.mail.suppression.hash-key=" + Base64.getEncoder().encodeToString(hashKey),
            "postline.mail.webhooks.ses.topic-arns=" + SnsFixture.TOPIC,
            "postline.mail.webhooks.ses.path=/hooks/ses");
  }

  static int post(MockMvc mvc, String body) throws Exception {
    return mvc.perform(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post("/hooks/ses")
            .contentType(MediaType.TEXT_PLAIN).header("x-amz-sns-message-type", "Notification")
            .content(body.getBytes(StandardCharsets.UTF_8)))
        .andReturn().getResponse().getStatus();
  }

  @Test
  void aConfirmationWhoseGetFailedIsAnswered503AndSnssRetryConfirms() throws Exception {
    runner(sns.webhook().confirmSubscriptions(true).build()).run(context -> {
      MockMvc mvc = MockMvcBuilders.webAppContextSetup((WebApplicationContext) context.getSourceApplicationContext())
          .build();
      String confirmation = sns.subscriptionConfirmation(Instant.now()).toString();
      int before = sns.confirmations.get();
      sns.failingConfirmations.set(1);

      assertThat(post(mvc, confirmation)).as("SNS retries a 5xx, not a 4xx").isEqualTo(503);
      assertThat(sns.confirmations.get()).isEqualTo(before);
      assertThat(post(mvc, confirmation)).as("the retry is no replay: it confirms").isEqualTo(200);
      assertThat(sns.confirmations.get()).isEqualTo(before + 1);
      assertThat(post(mvc, confirmation)).as("a replay").isEqualTo(200);
      assertThat(sns.confirmations.get()).isEqualTo(before + 1);
    });
  }

  @Test
  void signedNotificationsSuppressTamperedAndForeignOnesAre403AndReplaysAre200() throws Exception {
    runner().run(context -> {
      MockMvc mvc = MockMvcBuilders.webAppContextSetup((WebApplicationContext) context.getSourceApplicationContext())
          .build();
      SuppressionList suppressions = context.getBean(SuppressionList.class);
      String now = Instant.now().toString();
      ObjectNode signed = sns.notification(BOUNCE.formatted(now, now), Instant.now(), "2");

      ObjectNode tampered = signed.deepCopy();
      tampered.put("Message", signed.get("Message").asText().replace("ann@", "bob@"));
      assertThat(post(mvc, tampered.toString())).isEqualTo(403);
      ObjectNode foreign = SnsFixture.sign(signed.deepCopy().put("TopicArn",
          "arn:aws:sns:eu-west-1:123456789012:other"), sns.signing.privateKey);
      assertThat(post(mvc, foreign.toString())).isEqualTo(403);
      ObjectNode otherKey = SnsFixture.sign(signed.deepCopy(), sns.otherSigning.privateKey);
      assertThat(post(mvc, otherKey.toString())).isEqualTo(403);
      assertThat(suppressions.count()).isZero();

      assertThat(post(mvc, signed.toString())).isEqualTo(200);
      assertThat(suppressions.find(suppressions.hash(Address.of("ann@example.org")), null)).get()
          .extracting(SuppressionEntry::source).isEqualTo("ses");
      suppressions.remove(suppressions.hash(Address.of("ann@example.org")));

      assertThat(post(mvc, signed.toString())).as("a replay").isEqualTo(200);
      assertThat(suppressions.count()).isZero();
    });
  }
}
