package io.postline.mail.spring;

import org.springframework.boot.autoconfigure.condition.ConditionMessage;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when at least one {@code postline.mail.providers.NAME.*} property is set, so that the
 * starter on the classpath of an application that configures no provider adds nothing.
 */
class OnProvidersConfiguredCondition extends SpringBootCondition {
  private static final ConfigurationPropertyName PROVIDERS = ConfigurationPropertyName.of("postline.mail.providers");

  @Override
  public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
    ConditionMessage.Builder message = ConditionMessage.forCondition("Postline providers");
    if (OnPropertiesUnderCondition.anyUnder(context.getEnvironment(), PROVIDERS)) {
      return ConditionOutcome.match(message.found("property").items("postline.mail.providers.*"));
    }
    return ConditionOutcome.noMatch(message.didNotFind("property").items("postline.mail.providers.*"));
  }
}
