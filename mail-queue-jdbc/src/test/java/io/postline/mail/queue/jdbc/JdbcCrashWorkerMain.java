package io.postline.mail.queue.jdbc;

import io.postline.mail.core.Mailer;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * The child JVM of {@link JdbcCrashTest}: a Mailer working the JDBC queue with a
 * {@link TableProvider}, until it is killed.
 *
 * <p>Arguments: JDBC URL, workers, lease in milliseconds, the message number whose send hangs
 * after the provider recorded it.
 */
public final class JdbcCrashWorkerMain {
  private JdbcCrashWorkerMain() {}

  public static void main(String[] args) throws InterruptedException {
    var pool = JdbcTestDatabase.pool(args[0], 8);
    JdbcMailQueue queue = JdbcMailQueue.builder(pool).pollInterval(Duration.ofMillis(500)).build();
    Mailer mailer = Mailer.builder()
        .provider(new TableProvider(pool, Duration.ofMillis(4), 0, args[3]))
        .queue(queue)
        .workers(Integer.parseInt(args[1]))
        .leaseDuration(Duration.ofMillis(Long.parseLong(args[2])))
        .build();
    System.out.println("worker started " + mailer.getClass().getSimpleName());
    new CountDownLatch(1).await();
  }
}
