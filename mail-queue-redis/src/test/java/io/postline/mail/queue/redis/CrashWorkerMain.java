package io.postline.mail.queue.redis;

import io.postline.mail.core.Mailer;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * The child JVM of {@link CrashSafetyTest}: a Mailer working the Redis queue with a
 * {@link RecordingProvider}, until it is killed.
 *
 * <p>Arguments: redis URL, key prefix, queue name, workers, lease in milliseconds, delivery list,
 * the message number whose send hangs after the provider recorded it.
 */
public final class CrashWorkerMain {
  private CrashWorkerMain() {}

  public static void main(String[] args) throws InterruptedException {
    String url = args[0];
    RedisMailQueue queue = RedisMailQueue.builder(url).keyPrefix(args[1]).name(args[2])
        .pollInterval(Duration.ofMillis(500)).build();
    Mailer mailer = Mailer.builder()
        .provider(new RecordingProvider(url, args[5], Duration.ofMillis(4), args[6]))
        .queue(queue)
        .workers(Integer.parseInt(args[3]))
        .leaseDuration(Duration.ofMillis(Long.parseLong(args[4])))
        .build();
    System.out.println("worker started " + mailer.getClass().getSimpleName());
    new CountDownLatch(1).await();
  }
}
