package io.postline.samples.service;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The service's own settings, under {@code email-service}. Callers and their tokens come from the
 * environment: {@code EMAILSERVICE_CALLERS_BILLING_PRIMARYTOKEN=...} (and
 * {@code ..._SECONDARYTOKEN} while a token is rotated) makes {@code billing} a caller.
 */
@ConfigurationProperties("email-service")
public class EmailServiceProperties {

  /** The services allowed to call, by name, with their tokens. */
  private Map<String, Caller> callers = new LinkedHashMap<>();

  /** The sender used when a request names none. */
  private String defaultFrom = "no-reply@example.org";

  /** Requests each caller may make per period, unless the caller sets its own. */
  private long rateLimit = 60;

  /** The period rate limits refill over. */
  private Duration rateLimitPeriod = Duration.ofMinutes(1);

  public Map<String, Caller> getCallers() {
    return callers;
  }

  public void setCallers(Map<String, Caller> callers) {
    this.callers = callers;
  }

  public String getDefaultFrom() {
    return defaultFrom;
  }

  public void setDefaultFrom(String defaultFrom) {
    this.defaultFrom = defaultFrom;
  }

  public long getRateLimit() {
    return rateLimit;
  }

  public void setRateLimit(long rateLimit) {
    this.rateLimit = rateLimit;
  }

  public Duration getRateLimitPeriod() {
    return rateLimitPeriod;
  }

  public void setRateLimitPeriod(Duration rateLimitPeriod) {
    this.rateLimitPeriod = rateLimitPeriod;
  }

  /** One calling service. */
  public static class Caller {

    /** The token the caller presents as "Authorization: Bearer TOKEN"; at least 32 characters. */
    private @Nullable String primaryToken;

    /** A second accepted token, while the primary one is rotated; at least 32 characters. */
    private @Nullable String secondaryToken;

    /** Requests this caller may make per period; the service default unless set. */
    private @Nullable Long rateLimit;

    public @Nullable String getPrimaryToken() {
      return primaryToken;
    }

    public void setPrimaryToken(@Nullable String primaryToken) {
      this.primaryToken = primaryToken;
    }

    public @Nullable String getSecondaryToken() {
      return secondaryToken;
    }

    public void setSecondaryToken(@Nullable String secondaryToken) {
      this.secondaryToken = secondaryToken;
    }

    public @Nullable Long getRateLimit() {
      return rateLimit;
    }

    public void setRateLimit(@Nullable Long rateLimit) {
      this.rateLimit = rateLimit;
    }
  }
}
