package io.postline.mail.spring.console;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.postline.mail.core.Mailer;
import io.postline.mail.spring.InvalidPostlinePropertyException;
import io.postline.mail.spring.PostlineEndpointAutoConfiguration;
import io.postline.mail.spring.PostlineMailAutoConfiguration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.slf4j.LoggerFactory;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.security.web.DefaultSecurityFilterChain;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.util.matcher.AnyRequestMatcher;

/** Start-up refuses a console that would be unprotected or unreachable, naming the property. */
class ConsoleRequirementsTest {
  private static final AutoConfigurations POSTLINE = AutoConfigurations.of(PostlineMailAutoConfiguration.class,
      PostlineEndpointAutoConfiguration.class, PostlineConsoleAutoConfiguration.class);
  private static final String[] ENABLED = {
      "postline.mail.providers.memory.dsn=memory://" + UUID.randomUUID(),
      "postline.mail.console.enabled=true",
      "management.endpoints.web.exposure.include=postlineconsole"};

  private static WebApplicationContextRunner web() {
    return new WebApplicationContextRunner().withConfiguration(POSTLINE);
  }

  @Test
  void isOffUnlessEnabled() {
    web().withUserConfiguration(Chain.class)
        .withPropertyValues("postline.mail.providers.memory.dsn=memory://" + UUID.randomUUID(),
            "management.endpoints.web.exposure.include=postlineconsole")
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context).doesNotHaveBean(PostlineConsoleEndpoint.class);
          assertThat(context).doesNotHaveBean(ConsoleThroughput.class);
        });
  }

  @Test
  void startsWithSpringSecurityAndTheEndpointExposed() {
    web().withUserConfiguration(Chain.class).withPropertyValues(ENABLED).run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context).hasSingleBean(PostlineConsoleEndpoint.class);
      assertThat(context).hasSingleBean(ConsoleThroughput.class);
    });
  }

  @Test
  void refusesToStartWithoutSpringSecurity() {
    refuses(web().withClassLoader(new FilteredClassLoader(SecurityFilterChain.class)),
        "Spring Security is missing");
  }

  @Test
  void refusesToStartWithoutASecurityFilterChain() {
    refuses(web(), "has no Spring Security filter chain");
  }

  @Test
  void refusesToStartOutsideAServletWebApplication() {
    new ApplicationContextRunner().withConfiguration(POSTLINE).withUserConfiguration(Chain.class)
        .withPropertyValues(ENABLED).run(context -> assertThat(context).getFailure().rootCause()
            .isInstanceOf(InvalidPostlinePropertyException.class)
            .hasMessageContaining("needs a servlet web application"));
  }

  @Test
  void refusesToStartWhenTheEndpointIsNotExposed() {
    web().withUserConfiguration(Chain.class).withPropertyValues(ENABLED)
        .withPropertyValues("management.endpoints.web.exposure.include=health")
        .run(context -> assertThat(context).getFailure().rootCause()
            .isInstanceOf(InvalidPostlinePropertyException.class)
            .hasMessageContaining("add 'postlineconsole' to management.endpoints.web.exposure.include"));
  }

  @Test
  void refusesToStartWithoutAMailer() {
    web().withUserConfiguration(Chain.class)
        .withPropertyValues("postline.mail.console.enabled=true",
            "management.endpoints.web.exposure.include=postlineconsole")
        .run(context -> assertThat(context).getFailure().rootCause()
            .isInstanceOf(InvalidPostlinePropertyException.class).hasMessageContaining("needs a Mailer"));
  }

  @Test
  void withTwoMailersAndNoPrimarySaysSoAndHowToFixIt() {
    web().withUserConfiguration(Chain.class, BillingMailer.class, MarketingMailer.class).withPropertyValues(ENABLED)
        .run(context -> assertThat(context).getFailure().rootCause()
            .isInstanceOf(InvalidPostlinePropertyException.class)
            .hasMessageContaining("has 2 [billing, marketing]")
            .hasMessageContaining("mark the one the console should show @Primary")
            .hasMessageNotContaining("exposure"));
  }

  @Test
  void withTwoMailersShowsThePrimaryOne() {
    web().withUserConfiguration(Chain.class, BillingMailer.class, PrimaryMarketingMailer.class).withPropertyValues(ENABLED)
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context).hasSingleBean(PostlineConsoleEndpoint.class);
        });
  }

  @Test
  void backsOffWithAWarningInAReactiveApplication() {
    Logger logger = (Logger) LoggerFactory.getLogger(PostlineConsoleAutoConfiguration.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    logger.addAppender(logs);
    try {
      new ReactiveWebApplicationContextRunner().withConfiguration(POSTLINE).withUserConfiguration(Chain.class)
          .withPropertyValues(ENABLED).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(PostlineConsoleEndpoint.class);
          });
      assertThat(logs.list).filteredOn(e -> e.getLevel() == Level.WARN).singleElement()
          .satisfies(e -> assertThat(e.getFormattedMessage()).contains("postline.mail.console.enabled")
              .contains("reactive"));
    } finally {
      logger.detachAppender(logs);
    }
  }

  private static void refuses(WebApplicationContextRunner runner, String why) {
    runner.withPropertyValues(ENABLED).run(context -> assertThat(context).getFailure().rootCause()
        .isInstanceOf(InvalidPostlinePropertyException.class)
        .hasMessageStartingWith("invalid property postline.mail.console.enabled: ")
        .hasMessageContaining(why));
  }

  /** One of two Mailers, as an application sending for two brands might have. */
  @Configuration(proxyBeanMethods = false)
  static class BillingMailer {
    @Bean(destroyMethod = "close")
    Mailer billing() {
      return Mailer.builder().provider("memory", "memory://" + UUID.randomUUID()).build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class MarketingMailer {
    @Bean(destroyMethod = "close")
    Mailer marketing() {
      return Mailer.builder().provider("memory", "memory://" + UUID.randomUUID()).build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class PrimaryMarketingMailer {
    @Bean(destroyMethod = "close")
    @Primary
    Mailer marketing() {
      return Mailer.builder().provider("memory", "memory://" + UUID.randomUUID()).build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class Chain {
    @Bean
    SecurityFilterChain chain() {
      return new DefaultSecurityFilterChain(AnyRequestMatcher.INSTANCE);
    }
  }
}
