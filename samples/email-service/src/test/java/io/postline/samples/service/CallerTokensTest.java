package io.postline.samples.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postline.mail.Address;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/** Tokens: who they belong to, what is refused at start-up, and how they come from the environment. */
class CallerTokensTest {
  private static final String A = TokenCommand.newToken("live");
  private static final String A2 = TokenCommand.newToken("live");
  private static final String B = TokenCommand.newToken("dev");
  private static final String DEFAULT_FROM = "no-reply@example.org";

  @Test
  void everyConfiguredHashNamesItsCallerWithItsScopes() {
    EmailServiceProperties.Caller ops = caller(B);
    ops.setScopes(EnumSet.of(Scope.OPERATE));
    CallerTokens tokens = CallerTokens.of(Map.of("a", caller(A, A2), "b", ops), DEFAULT_FROM, true);
    assertThat(tokens.callerOf(A)).hasValueSatisfying(c -> {
      assertThat(c.name()).isEqualTo("a");
      assertThat(c.scopes()).containsExactlyInAnyOrder(Scope.SEND, Scope.READ);
    });
    assertThat(tokens.callerOf(A2).map(AuthenticatedCaller::name)).hasValue("a");
    assertThat(tokens.callerOf(B).map(AuthenticatedCaller::scopes)).hasValue(Set.of(Scope.OPERATE));
    assertThat(tokens.callerOf(A + "x")).isEmpty();
    assertThat(tokens.callerOf(A.substring(0, 20))).isEmpty();
    assertThat(tokens.callerOf(CallerTokens.hash(A))).isEmpty();
    assertThat(tokens.callerOf("")).isEmpty();
    assertThat(tokens.callerOf(null)).isEmpty();
  }

  @Test
  void developmentTokensAreAcceptedOnlyWhereDevTokensAre() {
    CallerTokens live = CallerTokens.of(Map.of("a", caller(A), "b", caller(B)), DEFAULT_FROM, false);
    assertThat(live.callerOf(B)).isEmpty();
    assertThat(live.refusesAsDevToken(B)).isTrue();
    assertThat(live.callerOf(A).map(AuthenticatedCaller::name)).hasValue("a");
    assertThat(live.refusesAsDevToken(A)).isFalse();
    CallerTokens dev = CallerTokens.of(Map.of("a", caller(A), "b", caller(B)), DEFAULT_FROM, true);
    assertThat(dev.callerOf(B).map(AuthenticatedCaller::name)).hasValue("b");
    assertThat(dev.refusesAsDevToken(B)).isFalse();
  }

  @Test
  void missingMalformedOrSharedHashesStopStartUp() {
    assertThatThrownBy(() -> CallerTokens.of(Map.of(), DEFAULT_FROM, true)).hasMessageContaining("no caller is configured");
    assertThatThrownBy(() -> CallerTokens.of(Map.of("a", caller()), DEFAULT_FROM, true))
        .hasMessageContaining("caller a has no token hash");
    // a token configured where its hash belongs is refused, and not repeated in the message
    assertThatThrownBy(() -> CallerTokens.of(Map.of("a", rawHashes(A)), DEFAULT_FROM, true))
        .hasMessageContaining("caller a").hasMessageContaining("never the token").hasMessageNotContaining(A);
    assertThatThrownBy(() -> CallerTokens.of(Map.of("a", rawHashes(CallerTokens.hash(A).toUpperCase())), DEFAULT_FROM, true))
        .hasMessageContaining("lower-case hex");
    Map<String, EmailServiceProperties.Caller> shared = new LinkedHashMap<>();
    shared.put("a", caller(A));
    shared.put("b", caller(A));
    assertThatThrownBy(() -> CallerTokens.of(shared, DEFAULT_FROM, true)).hasMessageContaining("unique")
        .hasMessageNotContaining(CallerTokens.hash(A));
    EmailServiceProperties.Caller none = caller(A);
    none.setScopes(EnumSet.noneOf(Scope.class));
    assertThatThrownBy(() -> CallerTokens.of(Map.of("a", none), DEFAULT_FROM, true)).hasMessageContaining("no scope");
    EmailServiceProperties.Caller badFrom = caller(A);
    badFrom.setAllowedFrom(List.of("@example.org"));
    assertThatThrownBy(() -> CallerTokens.of(Map.of("a", badFrom), DEFAULT_FROM, true))
        .hasMessageContaining("allowed-from");
  }

  @Test
  void allowedFromMatchesWholeAddressesAndExactDomains() {
    EmailServiceProperties.Caller shop = caller(A);
    shop.setAllowedFrom(List.of("Orders@Shop.example.org", "mail.example.org"));
    AuthenticatedCaller c = CallerTokens.of(Map.of("shop", shop), DEFAULT_FROM, true).callerOf(A).orElseThrow();
    assertThat(c.maySendAs(Address.parse("orders@shop.example.org"))).isTrue();
    assertThat(c.maySendAs(Address.parse("Shop <ORDERS@shop.example.org>"))).isTrue();
    assertThat(c.maySendAs(Address.parse("anyone@mail.example.org"))).isTrue();
    assertThat(c.maySendAs(Address.parse("other@shop.example.org"))).isFalse();
    assertThat(c.maySendAs(Address.parse("x@evil.mail.example.org"))).isFalse();
    assertThat(c.maySendAs(Address.parse("mail.example.org@evil.example"))).isFalse();
    assertThat(c.maySendAs(Address.parse(DEFAULT_FROM))).isFalse();
    // nothing configured: the default sender only
    AuthenticatedCaller plain = CallerTokens.of(Map.of("a", caller(A)), DEFAULT_FROM, true).callerOf(A).orElseThrow();
    assertThat(plain.maySendAs(Address.parse(DEFAULT_FROM))).isTrue();
    assertThat(plain.maySendAs(Address.parse("other@example.org"))).isFalse();
  }

  @Test
  void callersBindFromEnvironmentVariables() {
    StandardEnvironment env = new StandardEnvironment();
    env.getPropertySources().addFirst(new SystemEnvironmentPropertySource("systemEnvironment", Map.of(
        "EMAILSERVICE_CALLERS_BILLING_TOKENHASHES", CallerTokens.hash(A) + "," + CallerTokens.hash(A2),
        "EMAILSERVICE_CALLERS_BILLING_SCOPES", "send,operate",
        "EMAILSERVICE_CALLERS_BILLING_ALLOWEDFROM", "billing@example.org,billing.example.org",
        "EMAILSERVICE_CALLERS_BILLING_RATELIMIT", "7",
        "EMAILSERVICE_MAXREQUESTSIZE", "256KB")));
    ConfigurationPropertySources.attach(env);
    EmailServiceProperties properties = Binder.get(env).bind("email-service", EmailServiceProperties.class).get();
    EmailServiceProperties.Caller billing = properties.getCallers().get("billing");
    assertThat(billing.getTokenHashes()).containsExactly(CallerTokens.hash(A), CallerTokens.hash(A2));
    assertThat(billing.getScopes()).containsExactlyInAnyOrder(Scope.SEND, Scope.OPERATE);
    assertThat(billing.getAllowedFrom()).containsExactly("billing@example.org", "billing.example.org");
    assertThat(billing.getRateLimit()).isEqualTo(7);
    assertThat(properties.getMaxRequestSize().toBytes()).isEqualTo(256 * 1024);
    assertThat(CallerTokens.of(properties.getCallers(), DEFAULT_FROM, true).callerOf(A2).map(AuthenticatedCaller::name))
        .hasValue("billing");
  }

  private static EmailServiceProperties.Caller caller(String... tokens) {
    EmailServiceProperties.Caller c = new EmailServiceProperties.Caller();
    c.setTokenHashes(java.util.Arrays.stream(tokens).map(CallerTokens::hash).toList());
    return c;
  }

  private static EmailServiceProperties.Caller rawHashes(String... hashes) {
    EmailServiceProperties.Caller c = new EmailServiceProperties.Caller();
    c.setTokenHashes(List.of(hashes));
    return c;
  }
}
