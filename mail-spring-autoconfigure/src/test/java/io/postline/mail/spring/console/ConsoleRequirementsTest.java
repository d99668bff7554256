package io.postline.mail.spring.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.postline.mail.spring.InvalidPostlinePropertyException;
import io.postline.mail.spring.PostlineEndpointAutoConfiguration;
import io.postline.mail.spring.PostlineMailAutoConfiguration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
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

  private static void refuses(WebApplicationContextRunner runner, String why) {
    runner.withPropertyValues(ENABLED).run(context -> assertThat(context).getFailure().rootCause()
        .isInstanceOf(InvalidPostlinePropertyException.class)
        .hasMessageStartingWith("invalid property postline.mail.console.enabled: ")
        .hasMessageContaining(why));
  }

  @Configuration(proxyBeanMethods = false)
  static class Chain {
    @Bean
    SecurityFilterChain chain() {
      return new DefaultSecurityFilterChain(AnyRequestMatcher.INSTANCE);
    }
  }
}
