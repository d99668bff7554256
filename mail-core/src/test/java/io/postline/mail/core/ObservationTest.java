package io.postline.mail.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.SendFailedException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ObservationTest {
  @Test
  void everySynchronousSendIsObservedWithProviderAndOutcome() {
    List<Observation.Context> stopped = new CopyOnWriteArrayList<>();
    ObservationRegistry registry = ObservationRegistry.create();
    registry.observationConfig().observationHandler(new ObservationHandler<>() {
      @Override
      public boolean supportsContext(Observation.Context context) {
        return true;
      }

      @Override
      public void onStop(Observation.Context context) {
        stopped.add(context);
      }
    });
    InMemoryProvider memory = new InMemoryProvider("memory");
    Email email = Email.builder().from("a@example.org").to("b@example.org").subject("s").text("t").build();
    try (Mailer mailer = Mailer.builder().provider(memory).observationRegistry(registry)
        .retry(RetryPolicy.none()).build()) {
      mailer.send(email);
      memory.failNext(1, FailureKind.PERMANENT);
      assertThatThrownBy(() -> mailer.send(email)).isInstanceOf(SendFailedException.class);
    }

    assertThat(stopped).hasSize(2);
    assertThat(stopped.get(0).getName()).isEqualTo("postline.mail.send");
    assertThat(stopped.get(0).getLowCardinalityKeyValue("provider").getValue()).isEqualTo("memory");
    assertThat(stopped.get(0).getLowCardinalityKeyValue("outcome").getValue()).isEqualTo("sent");
    assertThat(stopped.get(1).getLowCardinalityKeyValue("outcome").getValue()).isEqualTo("failed");
    assertThat(stopped.get(1).getError()).isInstanceOf(SendFailedException.class);
  }

  @Test
  void everyQueuedAttemptIsObservedToo() {
    List<Observation.Context> stopped = new CopyOnWriteArrayList<>();
    ObservationRegistry registry = ObservationRegistry.create();
    registry.observationConfig().observationHandler(new ObservationHandler<>() {
      @Override
      public boolean supportsContext(Observation.Context context) {
        return true;
      }

      @Override
      public void onStop(Observation.Context context) {
        stopped.add(context);
      }
    });
    InMemoryProvider memory = new InMemoryProvider("memory");
    try (Mailer mailer = Mailer.builder().provider(memory).observationRegistry(registry).build()) {
      mailer.enqueue(Email.builder().from("a@example.org").to("b@example.org").subject("s").text("t").build());
      memory.awaitSent(1, java.time.Duration.ofSeconds(10));
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> stopped.size() == 1);
    }
    assertThat(stopped.get(0).getLowCardinalityKeyValue("mode").getValue()).isEqualTo("queued");
    assertThat(stopped.get(0).getLowCardinalityKeyValue("outcome").getValue()).isEqualTo("sent");
    assertThat(stopped.get(0).getLowCardinalityKeyValue("provider").getValue()).isEqualTo("memory");
  }
}
