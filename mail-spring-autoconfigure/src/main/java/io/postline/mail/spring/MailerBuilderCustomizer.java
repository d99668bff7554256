package io.postline.mail.spring;

import io.postline.mail.core.MailerBuilder;

/**
 * Adjusts the auto-configured {@link io.postline.mail.core.Mailer} beyond what properties can say,
 * such as a provider built in code or routing by a predicate. Every bean of this type is applied,
 * in {@link org.springframework.core.annotation.Order} order, after the properties and before
 * {@link MailerBuilder#build()}.
 *
 * <pre>{@code
 * @Bean
 * MailerBuilderCustomizer tagRouting() {
 *   return builder -> builder.routing(Routing.rules().tag("newsletter", "bulk").otherwise(Routing.failover()));
 * }
 * }</pre>
 */
@FunctionalInterface
public interface MailerBuilderCustomizer {

  /** Adjusts the builder. */
  void customize(MailerBuilder builder);
}
