package io.postline.samples.service;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextType;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;

/**
 * With the actuator on a port of its own ({@code management.server.port}), Spring Boot serves it
 * from a child context that the application's filters do not reach: this puts the same
 * {@link CallerAuthenticationFilter} in front of it, so the management port asks for the same
 * tokens and the operate scope. Listed in
 * {@code META-INF/spring/...ManagementContextConfiguration.imports}; kept out of component scanning
 * by {@link EmailServiceApplication}.
 */
@ManagementContextConfiguration(value = ManagementContextType.CHILD, proxyBeanMethods = false)
class ManagementPortConfiguration {

  @Bean
  FilterRegistrationBean<CallerAuthenticationFilter> managementCallerAuthenticationFilter(
      @Qualifier("callerAuthenticationFilter") FilterRegistrationBean<CallerAuthenticationFilter> application) {
    return ServiceConfiguration.registration(application.getFilter());
  }
}
