package io.postline.samples.service;

import java.time.Clock;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;
import tools.jackson.databind.json.JsonMapper;

/** The service's beans: caller tokens, rate limits, statistics, and the filter in front of everything. */
@Configuration(proxyBeanMethods = false)
class ServiceConfiguration {

  /** The callers' tokens; development tokens (st_dev_) only with the dev or demo profile. */
  @Bean
  CallerTokens callerTokens(EmailServiceProperties properties, Environment environment) {
    return CallerTokens.of(properties.getCallers(), properties.getDefaultFrom(),
        environment.matchesProfiles("dev | demo"));
  }

  @Bean
  CallerRateLimiter callerRateLimiter(EmailServiceProperties properties) {
    return new CallerRateLimiter(properties);
  }

  /** Per-caller statistics; a MailListener, so the starter feeds it the Mailer's events. */
  @Bean
  CallerStatistics callerStatistics() {
    return new CallerStatistics(Clock.systemUTC());
  }

  @Bean
  FilterRegistrationBean<CallerAuthenticationFilter> callerAuthenticationFilter(CallerTokens tokens,
      CallerRateLimiter limiter, CallerStatistics statistics, EmailServiceProperties properties, Environment environment,
      JsonMapper json) {
    return registration(new CallerAuthenticationFilter(tokens, limiter, statistics,
        properties.getMaxRequestSize().toBytes(),
        environment.getProperty("management.endpoints.web.base-path", "/actuator"), json));
  }

  /** Registers {@code filter} before everything else, for every path; also used for a separate management port. */
  static FilterRegistrationBean<CallerAuthenticationFilter> registration(CallerAuthenticationFilter filter) {
    FilterRegistrationBean<CallerAuthenticationFilter> registration = new FilterRegistrationBean<>(filter);
    registration.addUrlPatterns("/*");
    registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
    return registration;
  }
}
