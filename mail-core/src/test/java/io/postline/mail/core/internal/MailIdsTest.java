package io.postline.mail.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MailIdsTest {
  @Test
  void idsAre26CrockfordCharactersAndUnique() {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      String id = MailIds.next();
      assertThat(id).hasSize(26).matches("[0-9A-HJKMNP-TV-Z]{26}");
      ids.add(id);
    }
    assertThat(ids).hasSize(100_000);
  }

  @Test
  void idsSortByCreationTime() {
    String earlier = MailIds.of(1_700_000_000_000L);
    String later = MailIds.of(1_700_000_000_001L);
    assertThat(earlier.substring(0, 10)).isLessThan(later.substring(0, 10));
    assertThat(earlier).isLessThan(later);
  }
}
