package io.postline.samples.service;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The service's own settings, under {@code email-service}. Callers come from the environment:
 * {@code EMAILSERVICE_CALLERS_BILLING_TOKENHASHES=sha256:...} makes {@code billing} a caller (the
 * {@code new-token} command prints a token and that line; only the hash is configured).
 */
@ConfigurationProperties("email-service")
public class EmailServiceProperties {

  /** The services allowed to call, by name, with their token hashes, scopes and senders. */
  private Map<String, Caller> callers = new LinkedHashMap<>();

  /** The sender used when a request names none (a caller may use it only if its allowed-from lets it). */
  private String defaultFrom = "no-reply@example.org";

  /** Requests each caller may make per period, unless the caller sets its own. */
  private long rateLimit = 60;

  /** The period rate limits refill over. */
  private Duration rateLimitPeriod = Duration.ofMinutes(1);

  /** The largest request body taken; a larger one is refused with 413 before more of it is read. */
  private DataSize maxRequestSize = DataSize.ofMegabytes(1);

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

  public DataSize getMaxRequestSize() {
    return maxRequestSize;
  }

  public void setMaxRequestSize(DataSize maxRequestSize) {
    this.maxRequestSize = maxRequestSize;
  }

  /** One calling service. */
  public static class Caller {

    /**
     * The SHA-256 hashes ({@code sha256:} and 64 hex digits) of the tokens the caller may present as
     * "Authorization: Bearer TOKEN"; two while a token is rotated. Made by the new-token command.
     */
    private List<String> tokenHashes = new ArrayList<>();

    /** What the caller may do: send, read (its own emails, dead letters and statistics), operate (everyone's). */
    private Set<Scope> scopes = EnumSet.of(Scope.SEND, Scope.READ);

    /**
     * The from addresses ({@code billing@example.org}) and domains ({@code billing.example.org}: any
     * address at exactly that domain) the caller may send as; only the default sender when empty.
     */
    private List<String> allowedFrom = new ArrayList<>();

    /** Requests this caller may make per period; the service default unless set. */
    private @Nullable Long rateLimit;

    public List<String> getTokenHashes() {
      return tokenHashes;
    }

    public void setTokenHashes(List<String> tokenHashes) {
      this.tokenHashes = tokenHashes;
    }

    public Set<Scope> getScopes() {
      return scopes;
    }

    public void setScopes(Set<Scope> scopes) {
      this.scopes = scopes;
    }

    public List<String> getAllowedFrom() {
      return allowedFrom;
    }

    public void setAllowedFrom(List<String> allowedFrom) {
      this.allowedFrom = allowedFrom;
    }

    public @Nullable Long getRateLimit() {
      return rateLimit;
    }

    public void setRateLimit(@Nullable Long rateLimit) {
      this.rateLimit = rateLimit;
    }
  }
}
