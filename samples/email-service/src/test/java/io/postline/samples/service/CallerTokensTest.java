package io.postline.samples.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/** Tokens: who they belong to, what is refused at start-up, and how they come from the environment. */
class CallerTokensTest {
  private static final String A = "token-a-0123456789abcdefghijklmnopqrstuv";
  private static final String A2 = "token-a2-0123456789abcdefghijklmnopqrstu";
  private static final String B = "token-b-0123456789abcdefghijklmnopqrstuv";

  @Test
  void primaryAndSecondaryTokensNameTheirCaller() {
    CallerTokens tokens = CallerTokens.of(Map.of("a", caller(A, A2), "b", caller(B, null)));
    assertThat(tokens.callerOf(A)).hasValue("a");
    assertThat(tokens.callerOf(A2)).hasValue("a");
    assertThat(tokens.callerOf(B)).hasValue("b");
    assertThat(tokens.callerOf(A + "x")).isEmpty();
    assertThat(tokens.callerOf(A.substring(0, 20))).isEmpty();
    assertThat(tokens.callerOf("")).isEmpty();
    assertThat(tokens.callerOf(null)).isEmpty();
  }

  @Test
  void weakMissingOrSharedTokensStopStartUp() {
    assertThatThrownBy(() -> CallerTokens.of(Map.of())).hasMessageContaining("no caller is configured");
    assertThatThrownBy(() -> CallerTokens.of(Map.of("a", caller("tiny-token", null))))
        .hasMessageContaining("caller a").hasMessageContaining("32").hasMessageNotContaining("tiny-token");
    assertThatThrownBy(() -> CallerTokens.of(Map.of("a", caller(null, A)))).hasMessageContaining("no primary token");
    Map<String, EmailServiceProperties.Caller> shared = new LinkedHashMap<>();
    shared.put("a", caller(A, null));
    shared.put("b", caller(A, null));
    assertThatThrownBy(() -> CallerTokens.of(shared)).hasMessageContaining("unique").hasMessageNotContaining(A);
  }

  @Test
  void callersBindFromEnvironmentVariables() {
    StandardEnvironment env = new StandardEnvironment();
    env.getPropertySources().addFirst(new SystemEnvironmentPropertySource("systemEnvironment",
        Map.of("EMAILSERVICE_CALLERS_BILLING_PRIMARYTOKEN", A, "EMAILSERVICE_CALLERS_BILLING_SECONDARYTOKEN", A2,
            "EMAILSERVICE_CALLERS_BILLING_RATELIMIT", "7")));
    ConfigurationPropertySources.attach(env);
    EmailServiceProperties properties = Binder.get(env).bind("email-service", EmailServiceProperties.class).get();
    EmailServiceProperties.Caller billing = properties.getCallers().get("billing");
    assertThat(billing.getPrimaryToken()).isEqualTo(A);
    assertThat(billing.getSecondaryToken()).isEqualTo(A2);
    assertThat(billing.getRateLimit()).isEqualTo(7);
  }

  private static EmailServiceProperties.Caller caller(String primary, String secondary) {
    EmailServiceProperties.Caller c = new EmailServiceProperties.Caller();
    c.setPrimaryToken(primary);
    c.setSecondaryToken(secondary);
    return c;
  }
}
