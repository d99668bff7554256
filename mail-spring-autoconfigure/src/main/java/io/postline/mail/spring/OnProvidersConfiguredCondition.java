package io.postline.mail.spring;

import org.springframework.boot.autoconfigure.condition.ConditionMessage;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
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
    for (ConfigurationPropertySource source : ConfigurationPropertySources.get(context.getEnvironment())) {
      if (source instanceof IterableConfigurationPropertySource iterable
          && iterable.stream().anyMatch(PROVIDERS::isAncestorOf)) {
        return ConditionOutcome.match(message.found("property").items("postline.mail.providers.*"));
      }
    }
    return ConditionOutcome.noMatch(message.didNotFind("property").items("postline.mail.providers.*"));
  }
}
