package io.postline.mail.spring.console;

import io.postline.mail.core.Mailer;
import io.postline.mail.core.SuppressionList;
import io.postline.mail.core.Templates;
import io.postline.mail.spring.InvalidPostlinePropertyException;
import io.postline.mail.spring.PostlineEndpoint;
import io.postline.mail.spring.PostlineEndpointAutoConfiguration;
import io.postline.mail.spring.PostlineMailAutoConfiguration;
import io.postline.mail.spring.PostlineMailProperties;
import java.time.Clock;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.ClassUtils;

/**
 * The operations console ({@link PostlineConsoleEndpoint}), when
 * {@code postline.mail.console.enabled=true}. Start-up fails, naming that property, rather than
 * serve a console nothing protects: the application must be a servlet web application with Spring
 * Boot Actuator and Spring Security (a {@code SecurityFilterChain}, Spring Boot's own or the
 * application's), have one Mailer (or one marked {@code @Primary}), and expose the endpoint
 * ({@code management.endpoints.web.exposure.include=postlineconsole}). The console is served by
 * Spring MVC only: in a reactive (WebFlux) application it stays off, with one warning at start-up.
 */
@AutoConfiguration(after = {PostlineMailAutoConfiguration.class, PostlineEndpointAutoConfiguration.class},
    afterName = "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration")
@ConditionalOnBooleanProperty(name = "postline.mail.console.enabled")
@EnableConfigurationProperties({PostlineConsoleProperties.class, PostlineMailProperties.class})
public class PostlineConsoleAutoConfiguration {
  static final String PROPERTY = "postline.mail.console.enabled";
  static final String SECURITY_FILTER_CHAIN = "org.springframework.security.web.SecurityFilterChain";
  static final String ENDPOINT = "org.springframework.boot.actuate.endpoint.annotation.Endpoint";
  static final String WEB_APPLICATION_CONTEXT = "org.springframework.web.context.WebApplicationContext";
  static final String REACTIVE_WEB_APPLICATION_CONTEXT =
      "org.springframework.boot.web.context.reactive.ReactiveWebApplicationContext";
  private static final Logger LOG = LoggerFactory.getLogger(PostlineConsoleAutoConfiguration.class);

  /** Created by Spring. */
  public PostlineConsoleAutoConfiguration() {}

  /** The per-minute counts of the console's chart; a listener the auto-configured Mailer picks up. */
  @Bean
  @ConditionalOnMissingBean
  ConsoleThroughput postlineConsoleThroughput(PostlineConsoleProperties properties) {
    try {
      return new ConsoleThroughput(properties.getThroughputMinutes(), Clock.systemUTC());
    } catch (IllegalArgumentException e) {
      throw new InvalidPostlinePropertyException("postline.mail.console.throughput-minutes", e.getMessage(), e);
    }
  }

  /** Checks, as the context starts, that the console can be served safely; fails start-up otherwise. */
  @Bean
  static ConsoleRequirements postlineConsoleRequirements(ApplicationContext context) {
    return new ConsoleRequirements(context);
  }

  /** The endpoint, when the actuator, Spring MVC and Spring Security are there and it is exposed. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  @ConditionalOnClass(name = {SECURITY_FILTER_CHAIN, ENDPOINT, WEB_APPLICATION_CONTEXT,
      "org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint"})
  static class EndpointConfiguration {

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnSingleCandidate(Mailer.class)
    @ConditionalOnAvailableEndpoint(PostlineConsoleEndpoint.class)
    PostlineConsoleEndpoint postlineConsoleEndpoint(Mailer mailer, ObjectProvider<PostlineEndpoint> postline,
        ConsoleThroughput throughput, ObjectProvider<Templates> templates,
        ObjectProvider<SuppressionList> suppressions, PostlineMailProperties mailProperties,
        PostlineConsoleProperties properties, ConfigurableListableBeanFactory beanFactory) {
      ClassLoader loader = beanFactory.getBeanClassLoader();
      TemplateCatalog catalog = new TemplateCatalog(mailProperties.getTemplates().getLocation(),
          loader != null ? loader : PostlineConsoleAutoConfiguration.class.getClassLoader());
      return new PostlineConsoleEndpoint(mailer,
          postline.getIfAvailable(() -> new PostlineEndpoint(mailer, mailProperties.isMaskRecipients())),
          throughput, templates.getIfUnique(), catalog, suppressions.getIfUnique(), properties);
    }
  }

  /**
   * Fails start-up, naming {@value #PROPERTY}, when the console would be unprotected or
   * unreachable; in a reactive application, where the console cannot be served, warns once and
   * leaves it off.
   */
  static final class ConsoleRequirements {
    ConsoleRequirements(ApplicationContext context) {
      ClassLoader loader = context.getClassLoader();
      if (isInstance(REACTIVE_WEB_APPLICATION_CONTEXT, context, loader)) {
        LOG.warn("{}=true is ignored: the console is served by Spring MVC only, and this is a reactive (WebFlux)"
            + " application", PROPERTY);
        return;
      }
      if (!ClassUtils.isPresent(SECURITY_FILTER_CHAIN, loader)) {
        fail("the console is never served without the application's own security, and Spring Security is"
            + " missing: add spring-boot-starter-security and secure the actuator endpoints, or turn the console off");
      }
      if (!ClassUtils.isPresent(ENDPOINT, loader)) {
        fail("the console is an actuator endpoint: add spring-boot-starter-actuator");
      }
      if (!isInstance(WEB_APPLICATION_CONTEXT, context, loader)) {
        fail("the console needs a servlet web application (Spring MVC)");
      }
      Class<?> chain = ClassUtils.resolveClassName(SECURITY_FILTER_CHAIN, loader);
      if (context.getBeanNamesForType(chain, true, false).length == 0) {
        fail("the console is never served without the application's own security, and the application has no"
            + " Spring Security filter chain: define a SecurityFilterChain that authenticates the actuator endpoints");
      }
      String[] mailers = context.getBeanNamesForType(Mailer.class, true, false);
      if (mailers.length == 0) {
        fail("the console needs a Mailer: configure postline.mail.providers.NAME.dsn");
      }
      if (mailers.length > 1 && Arrays.stream(mailers).filter(name -> isPrimary(context, name)).count() != 1) {
        fail("the console shows one Mailer, and the application has " + mailers.length + " " + Arrays.toString(mailers)
            + " with no single one marked @Primary: mark the one the console should show @Primary");
      }
      if (!context.containsBeanDefinition("postlineConsoleEndpoint")) {
        fail("the console's actuator endpoint is not exposed: add '" + PostlineConsoleEndpoint.ID
            + "' to management.endpoints.web.exposure.include");
      }
    }

    private static boolean isInstance(String className, Object object, @Nullable ClassLoader loader) {
      return ClassUtils.isPresent(className, loader) && ClassUtils.resolveClassName(className, loader).isInstance(object);
    }

    private static boolean isPrimary(ApplicationContext context, String name) {
      return context.getAutowireCapableBeanFactory() instanceof ConfigurableListableBeanFactory factory
          && factory.containsBeanDefinition(name) && factory.getBeanDefinition(name).isPrimary();
    }

    private static void fail(String reason) {
      throw new InvalidPostlinePropertyException(PROPERTY, reason);
    }
  }
}
