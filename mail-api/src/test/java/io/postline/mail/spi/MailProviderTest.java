package io.postline.mail.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.SendResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MailProviderTest {

  /** Sends everything except the recipients it was told to fail, in the way it was told. */
  private static final class ScriptedProvider implements MailProvider {
    private final Map<String, RuntimeException> crashes;
    private final Set<String> refused;
    final List<String> attempted = new ArrayList<>();

    ScriptedProvider(Set<String> refused, Map<String, RuntimeException> crashes) {
      this.refused = refused;
      this.crashes = crashes;
    }

    @Override
    public String name() {
      return "scripted";
    }

    @Override
    public Capabilities capabilities() {
      return Capabilities.unlimited();
    }

    @Override
    public SendResult send(Email email) throws ProviderException {
      String to = email.to().get(0).email();
      attempted.add(to);
      if (crashes.containsKey(to)) {
        throw crashes.get(to);
      }
      if (refused.contains(to)) {
        throw ProviderException.builder(FailureKind.RECIPIENTS_REJECTED, name(), "550 5.1.1 unknown")
            .code("550").build();
      }
      return SendResult.accepted(name(), "id-" + to, email.recipients(), Duration.ofMillis(1));
    }
  }

  private static Email to(String address) {
    return Email.builder().from("shop@example.org").to(address).subject("s").text("t").build();
  }

  @Test
  void sendBatchSendsEachEmailInOrder() {
    ScriptedProvider p = new ScriptedProvider(Set.of(), Map.of());
    List<Email> emails = List.of(to("a@example.org"), to("b@example.org"), to("c@example.org"));

    List<SendOutcome> outcomes = p.sendBatch(emails);

    assertThat(p.attempted).containsExactly("a@example.org", "b@example.org", "c@example.org");
    assertThat(outcomes).extracting(SendOutcome::email).containsExactlyElementsOf(emails);
    assertThat(outcomes).allMatch(SendOutcome::isSent);
    assertThat(outcomes).extracting(o -> o.result().orElseThrow().messageId())
        .containsExactly("id-a@example.org", "id-b@example.org", "id-c@example.org");
  }

  @Test
  void oneFailureDoesNotStopTheOthers() {
    ScriptedProvider p = new ScriptedProvider(Set.of("b@example.org", "d@example.org"), Map.of());

    List<SendOutcome> outcomes = p.sendBatch(
        List.of(to("a@example.org"), to("b@example.org"), to("c@example.org"), to("d@example.org")));

    assertThat(p.attempted).hasSize(4);
    assertThat(outcomes).extracting(SendOutcome::isSent).containsExactly(true, false, true, false);
    ProviderException failure = outcomes.get(1).failure().orElseThrow();
    assertThat(failure.kind()).isEqualTo(FailureKind.RECIPIENTS_REJECTED);
    assertThat(failure.code()).contains("550");
    assertThat(outcomes.get(1).email().to().get(0).email()).isEqualTo("b@example.org");
  }

  @Test
  void anUnexpectedExceptionFailsOnlyItsMessage() {
    IllegalStateException bug = new IllegalStateException("provider bug");
    ScriptedProvider p = new ScriptedProvider(Set.of(), Map.of("b@example.org", bug));

    List<SendOutcome> outcomes = p.sendBatch(List.of(to("a@example.org"), to("b@example.org"), to("c@example.org")));

    assertThat(outcomes).extracting(SendOutcome::isSent).containsExactly(true, false, true);
    ProviderException failure = outcomes.get(1).failure().orElseThrow();
    assertThat(failure.kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(failure.provider()).isEqualTo("scripted");
    assertThat(failure).hasCause(bug).hasMessageContaining("IllegalStateException");
  }

  @Test
  void anEmptyBatchSendsNothing() {
    ScriptedProvider p = new ScriptedProvider(Set.of(), Map.of());

    assertThat(p.sendBatch(List.of())).isEmpty();
    assertThat(p.attempted).isEmpty();
  }

  @Test
  void probeAndCloseDoNothingByDefault() {
    ScriptedProvider p = new ScriptedProvider(Set.of(), Map.of());

    assertThatCode(() -> p.probe(Duration.ofSeconds(1))).doesNotThrowAnyException();
    assertThatCode(p::close).doesNotThrowAnyException();
    assertThat(p.attempted).isEmpty();
  }

  @Test
  void aFactoryCreatesProvidersFromSettings() {
    MailProviderFactory factory = new MailProviderFactory() {
      @Override
      public String scheme() {
        return "scripted";
      }

      @Override
      public MailProvider create(ProviderSettings settings) {
        settings.requireKnownOptions(Set.of());
        return new ScriptedProvider(Set.of(), Map.of());
      }
    };

    assertThat(factory.create(ProviderSettings.parse("scripted://default")).name()).isEqualTo("scripted");
  }
}
