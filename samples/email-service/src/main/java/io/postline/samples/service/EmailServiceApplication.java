package io.postline.samples.service;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/**
 * The email service: the Postline starter configured by {@code postline.mail.*} properties, plus
 * a small HTTP API. Run it with {@code ./mvnw -q -Pdemo,service -pl samples/email-service -am package};
 * {@code java -jar samples-email-service.jar new-token --env live --caller billing} makes a caller
 * token instead (see {@link TokenCommand}).
 */
@SpringBootApplication
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
