package io.postline.samples.service;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/**
 * The email service: the Postline starter configured by {@code postline.mail.*} properties, plus
 * a small HTTP API. Run it with {@code ./mvnw -q -Pdemo,service -pl samples/email-service -am package}.
 */
@SpringBootApplication
@EnableConfigurationProperties(EmailServiceProperties.class)
public class EmailServiceApplication {

  /** Starts the service. */
  public static void main(String[] args) {
    SpringApplication.run(EmailServiceApplication.class, args);
  }
}
