package io.postline.mail.spring;

import static io.postline.mail.spring.TestSupport.box;
import static io.postline.mail.spring.TestSupport.email;
import static io.postline.mail.spring.TestSupport.outbox;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.postline.mail.core.Mailer;
import io.postline.mail.event.MailEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

/**
 * An application with only {@code @EnableAutoConfiguration} and properties, as a fresh Spring Boot
 * application is: the auto-configurations are found through
 * {@code META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports}.
 */
class FreshApplicationTest {

  @Configuration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  static class FreshApplication {}

  @Test
  void onlyPropertiesGiveAWorkingMailer() {
    String out = outbox();
    try (ConfigurableApplicationContext context = new SpringApplicationBuilder(FreshApplication.class)
        .web(WebApplicationType.NONE)
        .properties("postline.mail.providers.primary.dsn=memory://" + out, "spring.main.banner-mode=off")
        .run()) {
      Mailer mailer = context.getBean(Mailer.class);
      assertThat(mailer.send(email("ann@example.org")).provider()).isEqualTo("primary");
      assertThat(box(out).sent()).hasSize(1);
      assertThat(context.getBeansOfType(PostlineHealthIndicator.class)).hasSize(1);
    }
  }

  @Test
  @ExtendWith(OutputCaptureExtension.class)
  void aBadDsnStopsStartUpWithTheProperty(CapturedOutput output) {
    assertThatThrownBy(() -> new SpringApplicationBuilder(FreshApplication.class).web(WebApplicationType.NONE)
        .properties("postline.mail.providers.primary.dsn=nowhere://x", "spring.main.banner-mode=off").run())
        .hasRootCauseInstanceOf(InvalidPostlinePropertyException.class)
        .rootCause().hasMessageContaining("postline.mail.providers.primary.dsn");
    assertThat(output).contains("APPLICATION FAILED TO START")
        .contains("Property: postline.mail.providers.primary.dsn")
        .contains("no mail provider for the scheme 'nowhere'");
  }

  @Test
  void closingTheContextLetsSendsInFlightFinish() {
    String out = outbox();
    box(out).latency(Duration.ofMillis(500));
    List<MailEvent> events = new CopyOnWriteArrayList<>();
    ConfigurableApplicationContext context = new SpringApplicationBuilder(FreshApplication.class)
        .web(WebApplicationType.NONE)
        .properties("postline.mail.providers.primary.dsn=memory://" + out, "spring.main.banner-mode=off")
        .initializers(c -> c.getBeanFactory().registerSingleton("recorder",
            (io.postline.mail.event.MailListener) events::add))
        .run();
    Mailer mailer = context.getBean(Mailer.class);
    mailer.enqueue(email("ann@example.org"));
    await().atMost(Duration.ofSeconds(10)).until(() -> events.stream().anyMatch(e -> e instanceof MailEvent.Sending));
    context.close();
    assertThat(box(out).sent()).hasSize(1);
    assertThat(events).anyMatch(e -> e instanceof MailEvent.Sent);
  }
}
