package io.postline.mail.spring.console;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The operations console, under {@code postline.mail.console}.
 *
 * <pre>
 * postline.mail.console.enabled=true
 * management.endpoints.web.exposure.include=health,postline,postlineconsole
 * </pre>
 */
@ConfigurationProperties("postline.mail.console")
public class PostlineConsoleProperties {

  /** Whether to serve the operations console at /actuator/postlineconsole (needs Spring Security to protect it). */
  private boolean enabled;

  /** The role an operator needs besides being authenticated, such as OPS; any authenticated user when unset. */
  private @Nullable String role;

  /** How often the page refreshes its counts and charts. */
  private Duration refresh = Duration.ofSeconds(2);

  /** How many minutes of throughput per provider the console keeps for its chart. */
  private int throughputMinutes = 30;

  /** Creates the defaults: off. */
  public PostlineConsoleProperties() {}

  /** Whether the console is served. */
  public boolean isEnabled() {
    return enabled;
  }

  /** Sets whether the console is served. */
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /** The role an operator needs, if any. */
  public @Nullable String getRole() {
    return role;
  }

  /** Sets the role an operator needs. */
  public void setRole(@Nullable String role) {
    this.role = role;
  }

  /** How often the page refreshes. */
  public Duration getRefresh() {
    return refresh;
  }

  /** Sets how often the page refreshes. */
  public void setRefresh(Duration refresh) {
    this.refresh = refresh;
  }

  /** How many minutes of throughput are kept. */
  public int getThroughputMinutes() {
    return throughputMinutes;
  }

  /** Sets how many minutes of throughput are kept. */
  public void setThroughputMinutes(int throughputMinutes) {
    this.throughputMinutes = throughputMinutes;
  }
}
