package io.postline.mail.spring;

import io.postline.mail.core.MailQueue;
import io.postline.mail.queue.codec.EncryptionKeys;
import io.postline.mail.queue.jdbc.CallerTransaction;
import io.postline.mail.queue.jdbc.JdbcMailQueue;
import java.sql.Connection;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * {@code postline.mail.queue.type=jdbc}: the queue lives in the application's {@link DataSource},
 * and {@code mailer.enqueue(email)} inside a Spring transaction on that DataSource writes in that
 * transaction (a rollback leaves no email). The schema is the application's to migrate
 * ({@link JdbcMailQueue#SCHEMA_RESOURCES}), or {@code postline.mail.queue.create-schema=true};
 * {@code postline.mail.queue.encryption-keys} encrypts the stored messages.
 */
@AutoConfiguration(before = PostlineMailAutoConfiguration.class,
    afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@ConditionalOnClass({JdbcMailQueue.class, DataSourceUtils.class})
@ConditionalOnBooleanProperty(name = "postline.mail.enabled", matchIfMissing = true)
@ConditionalOnProperty(name = "postline.mail.queue.type", havingValue = "jdbc")
@Conditional(OnProvidersConfiguredCondition.class)
@EnableConfigurationProperties(PostlineMailProperties.class)
public class PostlineJdbcQueueAutoConfiguration {

  /** Created by Spring. */
  public PostlineJdbcQueueAutoConfiguration() {}

  /** The JDBC queue on the application's DataSource; Spring closes it after the Mailer. */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(MailQueue.class)
  JdbcMailQueue postlineJdbcMailQueue(DataSource dataSource, PostlineMailProperties properties) {
    PostlineMailProperties.Queue q = properties.getQueue();
    JdbcMailQueue.Builder b = JdbcMailQueue.builder(dataSource)
        .callerTransaction(new SpringTransaction())
        .createSchema(q.isCreateSchema());
    String keys = q.getEncryptionKeys();
    if (keys != null && !keys.isBlank()) {
      b.encryption(MailerFactory.check("postline.mail.queue.encryption-keys", () -> EncryptionKeys.parse(keys)));
    }
    if (q.getCapacity() != null) {
      long capacity = q.getCapacity();
      MailerFactory.check("postline.mail.queue.capacity", () -> b.capacity(capacity));
    }
    return b.build();
  }

  /** The connection of the current Spring transaction on the DataSource, through DataSourceUtils. */
  static final class SpringTransaction implements CallerTransaction {
    @Override
    public @Nullable Connection connection(DataSource dataSource) {
      if (!TransactionSynchronizationManager.isActualTransactionActive()) {
        return null;
      }
      return DataSourceUtils.getConnection(dataSource);
    }

    @Override
    public void release(Connection connection, DataSource dataSource) {
      DataSourceUtils.releaseConnection(connection, dataSource);
    }
  }
}
