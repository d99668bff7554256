package io.postline.samples.service;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurationExcludeFilter;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.context.TypeExcludeFilter;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.FilterType;

/**
 * The email service: the Postline starter configured by {@code postline.mail.*} properties, plus
 * a small HTTP API. Run it with {@code ./mvnw -q -Pdemo,service -pl samples/email-service -am package};
 * {@code java -jar samples-email-service.jar new-token --env live --caller billing} makes a caller
 * token instead (see {@link TokenCommand}).
 *
 * <p>{@code @SpringBootApplication}, spelled out so that component scanning leaves
 * {@link ManagementPortConfiguration} to the management context it is meant for.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@ComponentScan(excludeFilters = {
    @ComponentScan.Filter(type = FilterType.CUSTOM, classes = TypeExcludeFilter.class),
    @ComponentScan.Filter(type = FilterType.CUSTOM, classes = AutoConfigurationExcludeFilter.class),
    @ComponentScan.Filter(type = FilterType.ANNOTATION, classes = ManagementContextConfiguration.class)})
@EnableConfigurationProperties(EmailServiceProperties.class)
public class EmailServiceApplication {

  /** Starts the service, or runs the {@code new-token} command. */
  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals(TokenCommand.NAME)) {
      int status = TokenCommand.run(args, System.out, System.err);
      if (status != 0) {
        System.exit(status);
      }
      return;
    }
    SpringApplication.run(EmailServiceApplication.class, args);
  }
}
