package io.postline.mail.spring;

import io.lettuce.core.AbstractRedisClient;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/** The application's Lettuce client, from Spring Data Redis; only loaded when it is present. */
final class SpringDataRedisClients {
  static final String FACTORY_CLASS = "org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory";

  private SpringDataRedisClients() {}

  /** The native client of the application's unique (or primary) Lettuce connection factory, started if need be. */
  static @Nullable AbstractRedisClient nativeClient(BeanFactory beanFactory) {
    LettuceConnectionFactory factory = beanFactory.getBeanProvider(LettuceConnectionFactory.class).getIfUnique();
    if (factory == null) {
      return null;
    }
    if (!factory.isRunning()) {
      factory.start();
    }
    return factory.getNativeClient();
  }
}
