package io.postline.mail.spring;

import io.postline.mail.core.Mailer;
import io.postline.mail.core.SuppressionList;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * With Spring Boot Actuator: the {@code postline} endpoint ({@link PostlineEndpoint}) when it is
 * exposed ({@code management.endpoints.web.exposure.include=postline}), and the masking of
 * Postline's secrets in {@code /actuator/configprops} and {@code /actuator/env}.
 */
@AutoConfiguration(after = {PostlineMailAutoConfiguration.class, PostlineFeedbackAutoConfiguration.class})
@ConditionalOnClass({Mailer.class, Endpoint.class, ConditionalOnAvailableEndpoint.class})
@EnableConfigurationProperties(PostlineMailProperties.class)
public class PostlineEndpointAutoConfiguration {

  /** Created by Spring. */
  public PostlineEndpointAutoConfiguration() {}

  /** The endpoint, for the application's one Mailer. */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnSingleCandidate(Mailer.class)
  @ConditionalOnAvailableEndpoint(PostlineEndpoint.class)
  public PostlineEndpoint postlineEndpoint(Mailer mailer, PostlineMailProperties properties,
      ObjectProvider<SuppressionList> suppressions) {
    return new PostlineEndpoint(mailer, properties.isMaskRecipients(), suppressions.getIfUnique());
  }

  /** Masks DSNs, the Redis URL, passwords and keys of {@code postline.mail.*}. */
  @Bean
  static SanitizingFunction postlineSanitizingFunction() {
    return new PostlineSanitizingFunction();
  }
}
