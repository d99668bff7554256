package io.postline.mail.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DkimCapabilitiesTest {
  static final ProviderSettings WITH_DKIM = ProviderSettings.parse(
      "sendgrid://SG.secret@default?dkim.domain=example.org&dkim.selector=s1&dkim.key=/etc/dkim.pem");

  @Test
  void aProviderThatSignsItselfRefusesPostlinesDkimOptionsNamingItself() {
    Capabilities signsItself = Capabilities.builder().dkimSigning(Capabilities.DkimSigning.PROVIDER).build();

    assertThatThrownBy(() -> signsItself.refuseDkimOptions(WITH_DKIM))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("provider sendgrid (sendgrid://) signs with DKIM on its own side")
        .hasMessageContaining("[dkim.domain, dkim.key, dkim.selector]")
        .message().doesNotContain("SG.secret").doesNotContain("/etc/dkim.pem");
    assertThat(signsItself.toString()).contains("dkimSigning=provider");
  }

  @Test
  void otherProvidersLeaveTheOptionsToTheirOwnChecks() {
    assertThat(Capabilities.unlimited().dkimSigning()).isEqualTo(Capabilities.DkimSigning.NONE);
    assertThatCode(() -> Capabilities.unlimited().refuseDkimOptions(WITH_DKIM)).doesNotThrowAnyException();
    assertThatCode(() -> Capabilities.builder().dkimSigning(Capabilities.DkimSigning.PROVIDER).build()
        .refuseDkimOptions(ProviderSettings.parse("sendgrid://SG.secret@default"))).doesNotThrowAnyException();
  }
}
