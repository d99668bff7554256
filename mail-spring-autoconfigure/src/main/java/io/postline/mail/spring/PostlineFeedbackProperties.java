package io.postline.mail.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The properties of what happens after the hand-off, under {@code postline.mail.suppression},
 * {@code postline.mail.webhooks} and {@code postline.mail.unsubscribe} (bound as parts of
 * {@link PostlineMailProperties}): the suppression list, the providers' delivery webhooks and
 * RFC 8058 one-click unsubscribe. {@code PostlineFeedbackAutoConfiguration} turns them into beans.
 */
public final class PostlineFeedbackProperties {
  private PostlineFeedbackProperties() {}

  /** The suppression list. */
  public static class Suppression {

    /** Where suppressions are kept: memory (this JVM) or redis (the whole fleet); unset, redis when the queue or the suppression list is on Redis, else memory. */
    private PostlineMailProperties.@Nullable Store store;

    /** The key addresses are hashed with (HMAC-SHA256), base64, at least 32 bytes; the same on every instance. Required once suppression, webhooks or unsubscribe is configured. */
    private @Nullable String hashKey;

    /** The Redis list's name (its keys' hash tag); every instance naming it shares it. */
    private String name = "suppression";

    /** How many soft bounces of one address within soft-bounce-window suppress it. */
    private int softBounceLimit = 3;

    /** The window soft bounces are counted in, from the first one. */
    private Duration softBounceWindow = Duration.ofDays(7);

    /** How long soft bounces suppress an address. */
    private Duration softBounceSuppression = Duration.ofDays(30);

    public PostlineMailProperties.@Nullable Store getStore() {
      return store;
    }

    public void setStore(PostlineMailProperties.@Nullable Store store) {
      this.store = store;
    }

    public @Nullable String getHashKey() {
      return hashKey;
    }

    public void setHashKey(@Nullable String hashKey) {
      this.hashKey = hashKey;
    }

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public int getSoftBounceLimit() {
      return softBounceLimit;
    }

    public void setSoftBounceLimit(int softBounceLimit) {
      this.softBounceLimit = softBounceLimit;
    }

    public Duration getSoftBounceWindow() {
      return softBounceWindow;
    }

    public void setSoftBounceWindow(Duration softBounceWindow) {
      this.softBounceWindow = softBounceWindow;
    }

    public Duration getSoftBounceSuppression() {
      return softBounceSuppression;
    }

    public void setSoftBounceSuppression(Duration softBounceSuppression) {
      this.softBounceSuppression = softBounceSuppression;
    }
  }

  /** The providers' delivery webhooks; each endpoint exists only when its provider's properties are set. */
  public static class Webhooks {

    /** SendGrid's signed Event Webhook. */
    private final SendGrid sendgrid = new SendGrid();

    /** Mailgun's JSON webhooks. */
    private final Mailgun mailgun = new Mailgun();

    /** Amazon SES notifications through an SNS HTTPS subscription. */
    private final Ses ses = new Ses();

    /** Where the verifiers remember accepted requests, so a replay is refused: memory (each instance) or redis (the whole fleet: needed behind a load balancer); unset, redis when the queue or the suppression list is on Redis, else memory. */
    private PostlineMailProperties.@Nullable Store replayStore;

    public SendGrid getSendgrid() {
      return sendgrid;
    }

    public Mailgun getMailgun() {
      return mailgun;
    }

    public Ses getSes() {
      return ses;
    }

    public PostlineMailProperties.@Nullable Store getReplayStore() {
      return replayStore;
    }

    public void setReplayStore(PostlineMailProperties.@Nullable Store replayStore) {
      this.replayStore = replayStore;
    }
  }

  /** What every webhook endpoint has: its path and how far a signed timestamp may be from now. */
  public abstract static class Endpoint {

    /** The path the provider posts to. */
    private String path;

    /** How far the signed timestamp may be from now. */
    private Duration tolerance;

    Endpoint(String path, Duration tolerance) {
      this.path = path;
      this.tolerance = tolerance;
    }

    public String getPath() {
      return path;
    }

    public void setPath(String path) {
      this.path = path;
    }

    public Duration getTolerance() {
      return tolerance;
    }

    public void setTolerance(Duration tolerance) {
      this.tolerance = tolerance;
    }
  }

  /** SendGrid's Event Webhook (path /webhooks/sendgrid, tolerance 5 minutes unless set). */
  public static class SendGrid extends Endpoint {

    /** The verification key SendGrid shows for signed event webhooks (base64 of the P-256 public key). */
    private @Nullable String verificationKey;

    /** The defaults. */
    public SendGrid() {
      super("/webhooks/sendgrid", Duration.ofMinutes(5));
    }

    public @Nullable String getVerificationKey() {
      return verificationKey;
    }

    public void setVerificationKey(@Nullable String verificationKey) {
      this.verificationKey = verificationKey;
    }
  }

  /** Mailgun's webhooks (path /webhooks/mailgun, tolerance 5 minutes unless set). */
  public static class Mailgun extends Endpoint {

    /** The HTTP webhook signing key from Mailgun's dashboard. */
    private @Nullable String signingKey;

    /** The defaults. */
    public Mailgun() {
      super("/webhooks/mailgun", Duration.ofMinutes(5));
    }

    public @Nullable String getSigningKey() {
      return signingKey;
    }

    public void setSigningKey(@Nullable String signingKey) {
      this.signingKey = signingKey;
    }
  }

  /** Amazon SES through SNS (path /webhooks/ses, tolerance 1 hour unless set: SNS keeps the timestamp across retries). */
  public static class Ses extends Endpoint {

    /** The SNS topic ARNs whose messages are accepted (at least one). */
    private List<String> topicArns = new ArrayList<>();

    /** Whether a verified SubscriptionConfirmation for an allowed topic is confirmed (off: it is refused). */
    private boolean confirmSubscriptions;

    /** The defaults. */
    public Ses() {
      super("/webhooks/ses", Duration.ofHours(1));
    }

    public List<String> getTopicArns() {
      return topicArns;
    }

    public void setTopicArns(List<String> topicArns) {
      this.topicArns = topicArns;
    }

    public boolean isConfirmSubscriptions() {
      return confirmSubscriptions;
    }

    public void setConfirmSubscriptions(boolean confirmSubscriptions) {
      this.confirmSubscriptions = confirmSubscriptions;
    }
  }

  /** RFC 8058 one-click unsubscribe. */
  public static class Unsubscribe {

    /** The public HTTPS URL put in List-Unsubscribe, such as https://mail.example.org/unsubscribe. */
    private @Nullable String url;

    /** The path the one-click POST arrives at; the url's path unless set (differs behind a proxy that rewrites paths). */
    private @Nullable String path;

    /** Keys signing the tokens, as id:base64key entries (each at least 32 bytes) separated by commas, the current key first; the others are still accepted. */
    private @Nullable String signingKeys;

    /** An address also offered for unsubscribing by mail (mailto, with the token in the subject). */
    private @Nullable String mailto;

    public @Nullable String getUrl() {
      return url;
    }

    public void setUrl(@Nullable String url) {
      this.url = url;
    }

    public @Nullable String getPath() {
      return path;
    }

    public void setPath(@Nullable String path) {
      this.path = path;
    }

    public @Nullable String getSigningKeys() {
      return signingKeys;
    }

    public void setSigningKeys(@Nullable String signingKeys) {
      this.signingKeys = signingKeys;
    }

    public @Nullable String getMailto() {
      return mailto;
    }

    public void setMailto(@Nullable String mailto) {
      this.mailto = mailto;
    }
  }
}
