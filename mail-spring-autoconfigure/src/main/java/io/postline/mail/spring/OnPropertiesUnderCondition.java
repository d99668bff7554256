package io.postline.mail.spring;

import java.util.Map;
import org.springframework.boot.autoconfigure.condition.ConditionMessage;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** {@link ConditionalOnPropertiesUnder}: some property is set under one of the names. */
class OnPropertiesUnderCondition extends SpringBootCondition {

  @Override
  public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
    Map<String, Object> attributes = metadata.getAnnotationAttributes(ConditionalOnPropertiesUnder.class.getName());
    String[] names = attributes == null ? new String[0] : (String[]) attributes.get("value");
    ConditionMessage.Builder message = ConditionMessage.forCondition(ConditionalOnPropertiesUnder.class);
    for (String name : names) {
      if (anyUnder(context.getEnvironment(), ConfigurationPropertyName.of(name))) {
        return ConditionOutcome.match(message.found("property").items(name + ".*"));
      }
    }
    return ConditionOutcome.noMatch(message.didNotFind("property").items((Object[]) names));
  }

  /** Whether some property source of {@code environment} has a property under {@code name}. */
  static boolean anyUnder(Environment environment, ConfigurationPropertyName name) {
    for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
      if (source instanceof IterableConfigurationPropertySource iterable && iterable.stream().anyMatch(name::isAncestorOf)) {
        return true;
      }
    }
    return false;
  }
}
