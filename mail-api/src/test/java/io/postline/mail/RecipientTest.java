package io.postline.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RecipientTest {

  @Test
  void ofAnAddressWithoutValues() {
    Recipient r = Recipient.of("Ann <ann@example.org>");

    assertThat(r.address()).isEqualTo(Address.of("ann@example.org", "Ann"));
    assertThat(r.model()).isEmpty();
  }

  @Test
  void withItsOwnValues() {
    assertThat(Recipient.of("ann@example.org", Map.of("name", "Ann")).model()).containsEntry("name", "Ann");
    assertThat(Recipient.of(Address.of("ann@example.org"), Map.of("n", 1)).model()).containsEntry("n", 1);
  }

  @Test
  void aBadAddressIsAnInvalidEmail() {
    assertThatThrownBy(() -> Recipient.of("not an address")).isInstanceOf(InvalidEmailException.class);
    assertThatThrownBy(() -> Recipient.of("ann@example.org\r\nBcc: x@example.org", Map.of()))
        .isInstanceOf(InvalidEmailException.class);
  }

  @Test
  void theModelIsCopiedAndUnmodifiable() {
    Map<String, Object> model = new HashMap<>(Map.of("name", "Ann"));
    Recipient r = new Recipient(Address.of("ann@example.org"), model);

    model.put("name", "Eve");

    assertThat(r.model()).containsEntry("name", "Ann");
    assertThatThrownBy(() -> r.model().put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void rejectsNulls() {
    assertThatNullPointerException().isThrownBy(() -> new Recipient(null, Map.of()));
    assertThatNullPointerException().isThrownBy(() -> new Recipient(Address.of("a@example.org"), null));
    Map<String, Object> withNull = new HashMap<>();
    withNull.put("name", null);
    assertThatNullPointerException().isThrownBy(() -> Recipient.of("a@example.org", withNull));
  }

  @Test
  void toStringMasksTheAddressAndLeavesOutValues() {
    Recipient r = Recipient.of("ann@example.org", Map.of("code", "Secret-123456"));

    assertThat(r.toString()).contains("a***@example.org", "code").doesNotContain("ann@", "Secret-123456");
  }

  @Test
  void equality() {
    assertThat(Recipient.of("ann@example.org", Map.of("n", 1)))
        .isEqualTo(Recipient.of("ann@EXAMPLE.org", Map.of("n", 1)))
        .isNotEqualTo(Recipient.of("ann@example.org", Map.of("n", 2)));
  }
}
