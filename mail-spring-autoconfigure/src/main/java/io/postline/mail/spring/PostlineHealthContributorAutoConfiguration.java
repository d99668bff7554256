package io.postline.mail.spring;

import io.postline.mail.core.Mailer;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The {@code postline} health indicator ({@link PostlineHealthIndicator}) for the application's
 * {@link Mailer}, when Spring Boot's health support is present; switched off with
 * {@code management.health.postline.enabled=false}.
 */
@AutoConfiguration(after = PostlineMailAutoConfiguration.class)
@ConditionalOnClass({Mailer.class, HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class})
@ConditionalOnSingleCandidate(Mailer.class)
public class PostlineHealthContributorAutoConfiguration {

  /** Created by Spring. */
  public PostlineHealthContributorAutoConfiguration() {}

  /** The indicator, unless the application has one of that name. */
  @Bean
  @ConditionalOnEnabledHealthIndicator("postline")
  @ConditionalOnMissingBean(name = "postlineHealthIndicator")
  public PostlineHealthIndicator postlineHealthIndicator(Mailer mailer) {
    return new PostlineHealthIndicator(mailer);
  }
}
