package io.postline.mail.spring;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.context.annotation.Conditional;

/**
 * Matches when at least one property is set under any of the given names (such as
 * {@code postline.mail.webhooks.sendgrid}), in any property source and form.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Conditional(OnPropertiesUnderCondition.class)
@interface ConditionalOnPropertiesUnder {
  /** The property names, any of which must have a property under it. */
  String[] value();
}
