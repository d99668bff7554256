package io.postline.mail.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.postline.mail.Email;
import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.Receipt;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Three Mailers (as three JVMs: each its own client) × 4 workers share one Redis queue. */
@Timeout(300)
class FleetTest {
  private static final int MESSAGES = 10_000;
  private static final int MAILERS = 3;

  @Test
  void threeMailersWithFourWorkersEachDeliverTenThousandMessagesExactlyOnce() throws Exception {
    String prefix = RedisTestSupport.uniquePrefix();
    List<RedisClient> clients = new ArrayList<>();
    List<Mailer> mailers = new ArrayList<>();
    List<RedisMailQueue> queues = new ArrayList<>();
    List<InMemoryProvider> providers = new ArrayList<>();
    ExecutorService producers = Executors.newFixedThreadPool(MAILERS);
    try {
      for (int m = 0; m < MAILERS; m++) {
        RedisClient client = RedisTestSupport.client();
        clients.add(client);
        RedisMailQueue queue = RedisMailQueue.builder(client).keyPrefix(prefix).name("fleet").build();
        queues.add(queue);
        InMemoryProvider provider = new InMemoryProvider("memory");
        providers.add(provider);
        mailers.add(Mailer.builder().provider(provider).queue(queue).workers(4)
            .leaseDuration(Duration.ofSeconds(30)).build());
      }

      List<Future<List<String>>> sent = new ArrayList<>();
      for (int m = 0; m < MAILERS; m++) {
        Mailer mailer = mailers.get(m);
        int first = m;
        sent.add(producers.submit(() -> {
          List<String> ids = new ArrayList<>();
          for (int i = first; i < MESSAGES; i += MAILERS) {
            Receipt r = mailer.enqueue(Email.builder().from("shop@example.org").to("user" + i + "@example.org")
                .subject("fleet " + i).text("body").metadata("n", Integer.toString(i)).build());
            ids.add(r.id());
          }
          return ids;
        }));
      }
      int receipts = 0;
      for (Future<List<String>> f : sent) {
        receipts += f.get().size();
      }
      assertThat(receipts).isEqualTo(MESSAGES);

      Awaitility.await("every message delivered").atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofMillis(200))
          .until(() -> providers.stream().mapToInt(p -> p.sent().size()).sum() >= MESSAGES);

      Map<String, Integer> deliveries = new HashMap<>();
      for (InMemoryProvider p : providers) {
        for (Email e : p.sent()) {
          deliveries.merge(e.metadata().get("n"), 1, Integer::sum);
        }
      }
      assertThat(deliveries).hasSize(MESSAGES);
      assertThat(deliveries.values()).as("each delivered exactly once").allMatch(n -> n == 1);
      assertThat(providers).as("every Mailer took part").allMatch(p -> !p.sent().isEmpty());
      assertThat(queues.get(0).counts().pending()).isZero();
      assertThat(queues.get(0).counts().deadLettered()).isZero();
    } finally {
      producers.shutdownNow();
      mailers.forEach(Mailer::close);
      RedisTestSupport.cleanup(clients.get(0), prefix);
      clients.forEach(RedisClient::shutdown);
    }
  }
}
