package io.postline.samples.service;

import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import tools.jackson.databind.json.JsonMapper;

/** The service's beans: caller tokens, rate limits, the authentication filter, the mail-id listener. */
@Configuration(proxyBeanMethods = false)
class ServiceConfiguration {

  @Bean
  CallerTokens callerTokens(EmailServiceProperties properties) {
    return CallerTokens.of(properties.getCallers());
  }

  @Bean
  CallerRateLimiter callerRateLimiter(EmailServiceProperties properties) {
    return new CallerRateLimiter(properties);
  }

  @Bean
  FilterRegistrationBean<CallerAuthenticationFilter> callerAuthenticationFilter(CallerTokens tokens,
      CallerRateLimiter limiter, JsonMapper json) {
    FilterRegistrationBean<CallerAuthenticationFilter> registration =
        new FilterRegistrationBean<>(new CallerAuthenticationFilter(tokens, limiter, json));
    registration.addUrlPatterns("/*");
    registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
    return registration;
  }
}
