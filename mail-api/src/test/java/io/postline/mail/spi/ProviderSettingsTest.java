package io.postline.mail.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.postline.mail.FailureKind;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ProviderSettingsTest {

  private static IllegalArgumentException parseError(String dsn) {
    IllegalArgumentException e = catchThrowableOfType(IllegalArgumentException.class, () -> ProviderSettings.parse(dsn));
    assertThat(e).as("parse should fail").isNotNull();
    return e;
  }

  @Nested
  class Parse {
    @Test
    void everyPart() {
      ProviderSettings s = ProviderSettings.parse("smtp://user:pass@mail.example.org:587/relay?tls=starttls&timeout=10s");

      assertThat(s.scheme()).isEqualTo("smtp");
      assertThat(s.name()).isEqualTo("smtp");
      assertThat(s.user()).contains("user");
      assertThat(s.password()).contains("pass");
      assertThat(s.host()).isEqualTo("mail.example.org");
      assertThat(s.port()).hasValue(587);
      assertThat(s.path()).isEqualTo("relay");
      assertThat(s.options()).containsExactly(Map.entry("tls", "starttls"), Map.entry("timeout", "10s"));
      assertThat(s.option("tls")).contains("starttls");
      assertThat(s.option("missing")).isEmpty();
      assertThat(s.option("missing", "fallback")).isEqualTo("fallback");
      assertThat(s.option("tls", "fallback")).isEqualTo("starttls");
    }

    @Test
    void hostOnly() {
      ProviderSettings s = ProviderSettings.parse("memory://default");

      assertThat(s.host()).isEqualTo("default");
      assertThat(s.user()).isEmpty();
      assertThat(s.password()).isEmpty();
      assertThat(s.port()).isEmpty();
      assertThat(s.path()).isEmpty();
      assertThat(s.options()).isEmpty();
    }

    @Test
    void userOnlyIsAnApiKey() {
      ProviderSettings s = ProviderSettings.parse("sendgrid://SG.abc-123@default");

      assertThat(s.user()).contains("SG.abc-123");
      assertThat(s.password()).isEmpty();
      assertThat(s.host()).isEqualTo("default");
    }

    @Test
    void passwordWithoutUser() {
      ProviderSettings s = ProviderSettings.parse("smtp://:secret@host");

      assertThat(s.user()).isEmpty();
      assertThat(s.password()).contains("secret");
    }

    @Test
    void emptyPassword() {
      assertThat(ProviderSettings.parse("smtp://user:@host").password()).contains("");
    }

    @Test
    void aTrailingSlashIsNoPath() {
      assertThat(ProviderSettings.parse("smtp://host/").path()).isEmpty();
      assertThat(ProviderSettings.parse("mailgun://key@api.eu.mailgun.net/mg.example.org").path())
          .isEqualTo("mg.example.org");
    }

    @Test
    void optionWithoutValueOrEmptyPairs() {
      ProviderSettings s = ProviderSettings.parse("smtp://host?debug&&trace=");

      assertThat(s.options()).containsExactly(Map.entry("debug", ""), Map.entry("trace", ""));
    }

    @Test
    void optionValuesArePercentDecoded() {
      ProviderSettings s = ProviderSettings.parse("smtp://host?from=a%40example.org&list=a%2Cb&plus=a+b&eq=a=b");

      assertThat(s.option("from")).contains("a@example.org");
      assertThat(s.option("list")).contains("a,b");
      assertThat(s.option("plus")).contains("a+b");
      assertThat(s.option("eq")).contains("a=b");
    }

    @Test
    void ipv6HostWithPort() {
      ProviderSettings s = ProviderSettings.parse("smtp://user:pass@[::1]:2525");

      assertThat(s.host()).isEqualTo("[::1]");
      assertThat(s.port()).hasValue(2525);
      assertThat(s.user()).contains("user");
    }

    @Test
    void ipv6HostWithoutPort() {
      ProviderSettings s = ProviderSettings.parse("smtp://[2001:db8::1]?tls=none");

      assertThat(s.host()).isEqualTo("[2001:db8::1]");
      assertThat(s.port()).isEmpty();
      assertThat(s.option("tls")).contains("none");
    }

    @Test
    void ipv6Errors() {
      assertThat(parseError("smtp://[::1")).hasMessageContaining("IPv6 host without ']'");
      assertThat(parseError("smtp://[::1]x")).hasMessageContaining("text after the IPv6 host");
      assertThat(parseError("smtp://[::1]:0")).hasMessageContaining("port");
    }

    @ParameterizedTest
    @ValueSource(strings = {"smtp://", "smtp://user:pass@", "smtp://user:pass@:587", "smtp://?tls=none", "smtp:///path"})
    void missingHost(String dsn) {
      assertThat(parseError(dsn)).hasMessage("smtp settings need a host: smtp://host");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "65536", "-1", "abc", "", "99999999999", "25 "})
    void badPort(String port) {
      assertThat(parseError("smtp://user:pass@host:" + port))
          .hasMessage("smtp DSN port must be a number from 1 to 65535");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 25, 65535})
    void portBounds(int port) {
      assertThat(ProviderSettings.parse("smtp://host:" + port).port()).hasValue(port);
    }

    @Test
    void duplicateOption() {
      assertThat(parseError("smtp://host?tls=none&timeout=1s&tls=starttls"))
          .hasMessage("smtp DSN sets option 'tls' twice");
    }

    @ParameterizedTest
    @ValueSource(strings = {"host", "smtp:/host", "://host", "smtp//host"})
    void notADsn(String dsn) {
      assertThat(parseError(dsn)).hasMessageContaining("scheme://");
    }

    @ParameterizedTest
    @ValueSource(strings = {"SMTP://host", "1smtp://host", "sm tp://host", "smtp_x://host"})
    void badScheme(String dsn) {
      assertThat(parseError(dsn)).hasMessageContaining("scheme must be lower-case");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ses+raw://host", "x.y-z://host", "mailgun2://host"})
    void schemeCharacters(String dsn) {
      assertThat(ProviderSettings.parse(dsn).scheme()).isEqualTo(dsn.substring(0, dsn.indexOf(':')));
    }

    @Test
    void rejectsNull() {
      assertThatNullPointerException().isThrownBy(() -> ProviderSettings.parse(null));
    }
  }

  @Nested
  class PercentDecoding {
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        p%40ss           | p@ss
        p%3Ass           | p:ss
        p%3ass           | p:ss
        a+b              | a+b
        a%2Bb            | a+b
        a%20b            | a b
        %25              | %
        p%2Fw            | p/w
        p%3Fw%23x%26y    | p?w#x&y
        p%C3%A4ss        | päss
        %E2%82%AC%F0%9F%98%80 | €😀
        päss%21          | päss!
        p😀ss%40         | p😀ss@
        plain            | plain
        """)
    void decodesThePassword(String encoded, String decoded) {
      assertThat(ProviderSettings.parse("smtp://user:" + encoded + "@host").password()).contains(decoded);
    }

    @Test
    void decodesTheUser() {
      ProviderSettings s = ProviderSettings.parse("smtp://ann%40example.org:pw@host");

      assertThat(s.user()).contains("ann@example.org");
      assertThat(s.host()).isEqualTo("host");
    }

    @Test
    void aRawAtSignInThePasswordBelongsToThePassword() {
      ProviderSettings s = ProviderSettings.parse("smtp://user:p@ss@host:25");

      assertThat(s.password()).contains("p@ss");
      assertThat(s.host()).isEqualTo("host");
    }

    @Test
    void aRawSlashInThePasswordDoesNotStartThePath() {
      ProviderSettings s = ProviderSettings.parse("smtp://user:a/b@host/path");

      assertThat(s.password()).contains("a/b");
      assertThat(s.host()).isEqualTo("host");
      assertThat(s.path()).isEqualTo("path");
    }

    @Test
    void theFirstColonSplitsUserAndPassword() {
      assertThat(ProviderSettings.parse("smtp://user:a:b@host").password()).contains("a:b");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        smtp://user:p%zz@host      | password
        smtp://user:p%4@host       | password
        smtp://user:p%@host        | password
        smtp://us%G0er:pw@host     | user
        smtp://host?timeout=%xx    | option timeout
        smtp://host?a%2=1          | option name
        smtp://host/p%q            | path
        """)
    void badPercentEscapes(String dsn, String where) {
      assertThat(parseError(dsn)).hasMessage("smtp DSN has a bad percent-escape in its " + where);
    }

    @ParameterizedTest
    @ValueSource(strings = {"smtp://user:p%FF@host", "smtp://user:%C3@host", "smtp://user:%C3%28@host"})
    void escapesThatAreNotUtf8AreRefused(String dsn) {
      assertThat(parseError(dsn)).hasMessage("smtp DSN has percent-escapes in its password that are not UTF-8");
    }
  }

  @Nested
  class TypedOptions {
    private ProviderSettings with(String query) {
      return ProviderSettings.parse("smtp://user:TopSecret@host:25?" + query);
    }

    @Test
    void defaultsWhenAbsent() {
      ProviderSettings s = ProviderSettings.parse("smtp://host");

      assertThat(s.intOption("pool", 8)).isEqualTo(8);
      assertThat(s.booleanOption("debug", true)).isTrue();
      assertThat(s.durationOption("timeout", Duration.ofSeconds(3))).isEqualTo(Duration.ofSeconds(3));
      assertThat(s.enumOption("kind", FailureKind.class, FailureKind.TRANSIENT)).isEqualTo(FailureKind.TRANSIENT);
    }

    @ParameterizedTest
    @CsvSource({"8, 8", "' 12 ', 12", "-3, -3", "0, 0", "2147483647, 2147483647"})
    void integers(String value, int expected) {
      assertThat(with("pool=" + value.replace(" ", "%20")).intOption("pool", 1)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"eight", "1.5", "", "2147483648", "0x10"})
    void badIntegers(String value) {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> with("pool=" + value).intOption("pool", 1))
          .withMessage("option 'pool' of provider smtp (smtp://user:****@host:25?pool=" + value
              + ") must be a whole number, was '" + value + "'");
    }

    @ParameterizedTest
    @CsvSource({"true, true", "TRUE, true", "yes, true", "on, true", "1, true",
        "false, false", "False, false", "no, false", "off, false", "0, false"})
    void booleans(String value, boolean expected) {
      assertThat(with("debug=" + value).booleanOption("debug", !expected)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"maybe", "", "2", "y"})
    void badBooleans(String value) {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> with("debug=" + value).booleanOption("debug", false))
          .withMessageStartingWith("option 'debug' of provider smtp")
          .withMessageEndingWith("must be true or false, was '" + value + "'");
    }

    @ParameterizedTest
    @CsvSource({
        "500ms, PT0.5S",
        "10s,   PT10S",
        "2m,    PT2M",
        "1h,    PT1H",
        "1d,    PT24H",
        "0s,    PT0S",
        "10S,   PT10S",
        "PT10S, PT10S",
        "pt1m30s, PT1M30S",
        "PT0.25S, PT0.25S",
        "P1D,   PT24H",
    })
    void durations(String value, Duration expected) {
      assertThat(with("timeout=" + value).durationOption("timeout", Duration.ZERO)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"10", "ten seconds", "10 s", "-5s", "-PT10S", "1.5s", "10x", "", "99999999999999999999d",
        "9999999999999999d", "9223372036854775807h"})
    void badDurations(String value) {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> with("timeout=" + value.replace(" ", "%20")).durationOption("timeout", Duration.ZERO))
          .withMessageStartingWith("option 'timeout' of provider smtp")
          .withMessageEndingWith("must be a duration like 500ms, 10s, 2m or PT10S, was '" + value + "'");
    }

    @ParameterizedTest
    @CsvSource({
        "transient, TRANSIENT",
        "RATE_LIMITED, RATE_LIMITED",
        "rate-limited, RATE_LIMITED",
        "Provider_Unavailable, PROVIDER_UNAVAILABLE",
    })
    void enums(String value, FailureKind expected) {
      assertThat(with("kind=" + value).enumOption("kind", FailureKind.class, FailureKind.PERMANENT))
          .isEqualTo(expected);
    }

    @Test
    void badEnumNamesTheConstants() {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> with("kind=sometimes").enumOption("kind", FailureKind.class, FailureKind.PERMANENT))
          .withMessageStartingWith("option 'kind' of provider smtp")
          .withMessageEndingWith("must be one of [permanent, provider_unavailable, rate_limited, "
              + "recipients_rejected, transient], was 'sometimes'");
    }

    @Test
    void errorsNameTheProviderByItsName() {
      ProviderSettings s = with("pool=x").withName("primary");

      assertThatIllegalArgumentException().isThrownBy(() -> s.intOption("pool", 1))
          .withMessageStartingWith("option 'pool' of provider primary (smtp://");
    }

    @Test
    void errorsNeverShowTheApiKeyOfAUserOnlyDsn() {
      ProviderSettings s = ProviderSettings.parse("sendgrid://SG.TopSecret@default?timeout=soon&pool=x&sandbox=maybe");

      assertThatIllegalArgumentException().isThrownBy(() -> s.durationOption("timeout", Duration.ZERO))
          .withMessage("option 'timeout' of provider sendgrid (sendgrid://****@default?timeout=soon&pool=x"
              + "&sandbox=maybe) must be a duration like 500ms, 10s, 2m or PT10S, was 'soon'");
      assertThatIllegalArgumentException().isThrownBy(() -> s.intOption("pool", 1))
          .withMessageNotContaining("TopSecret");
      assertThatIllegalArgumentException().isThrownBy(() -> s.booleanOption("sandbox", false))
          .withMessageNotContaining("TopSecret");
      assertThatIllegalArgumentException().isThrownBy(() -> s.requireKnownOptions(Set.of("timeout")))
          .withMessageNotContaining("TopSecret");
    }

    @Test
    void errorsNeverShowTheSecrets() {
      ProviderSettings s = with("apiKey=NotANumber&token=nope&password=maybe&pool=x");

      assertThatIllegalArgumentException().isThrownBy(() -> s.intOption("apiKey", 1))
          .withMessageEndingWith("must be a whole number, was ****")
          .withMessageNotContaining("NotANumber")
          .withMessageNotContaining("TopSecret");
      assertThatIllegalArgumentException().isThrownBy(() -> s.booleanOption("token", false))
          .withMessageNotContaining("nope");
      assertThatIllegalArgumentException().isThrownBy(() -> s.durationOption("password", Duration.ZERO))
          .withMessageNotContaining("maybe");
      assertThatIllegalArgumentException().isThrownBy(() -> s.intOption("pool", 1))
          .withMessageNotContaining("NotANumber")
          .withMessageNotContaining("nope")
          .withMessageNotContaining("maybe")
          .withMessageNotContaining("TopSecret");
    }
  }

  @Nested
  class Requirements {
    @Test
    void requireKnownOptionsPassesWhenAllAreKnown() {
      ProviderSettings s = ProviderSettings.parse("smtp://host?tls=none&pool=2");

      s.requireKnownOptions(Set.of("tls", "pool", "timeout"));

      assertThat(s.options()).hasSize(2);
    }

    @Test
    void requireKnownOptionsNamesUnknownAndKnownSorted() {
      ProviderSettings s = ProviderSettings.parse("smtp://host?tsl=none&pool=2&zz=1&apiKey=SECRET");

      assertThatIllegalArgumentException()
          .isThrownBy(() -> s.requireKnownOptions(Set.of("tls", "pool", "timeout")))
          .withMessage("smtp DSN has unknown option(s) [apiKey, tsl, zz]; known options: [pool, timeout, tls]");
    }

    @Test
    void requireUserReturnsTheUser() {
      assertThat(ProviderSettings.parse("sendgrid://KEY@default").requireUser("the API key")).isEqualTo("KEY");
    }

    @ParameterizedTest
    @ValueSource(strings = {"sendgrid://default", "sendgrid://:pw@default", "sendgrid://@default"})
    void requireUserExplainsTheForm(String dsn) {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> ProviderSettings.parse(dsn).requireUser("the API key"))
          .withMessage("sendgrid DSN needs the API key as its user part: sendgrid://USER@default")
          .withMessageNotContaining("pw");
    }
  }

  @Nested
  class Names {
    @Test
    void theNameIsTheSchemeUntilSet() {
      ProviderSettings s = ProviderSettings.parse("smtp://host");

      assertThat(s.name()).isEqualTo("smtp");
      assertThat(s.withName("primary").name()).isEqualTo("primary");
      assertThat(s.name()).isEqualTo("smtp");
    }

    @Test
    void withNameKeepsEverythingElse() {
      ProviderSettings s = ProviderSettings.parse("smtp://u:p@host:25/x?a=1");

      ProviderSettings named = s.withName("backup");

      assertThat(named.scheme()).isEqualTo("smtp");
      assertThat(named.user()).isEqualTo(s.user());
      assertThat(named.password()).isEqualTo(s.password());
      assertThat(named.host()).isEqualTo("host");
      assertThat(named.port()).isEqualTo(s.port());
      assertThat(named.path()).isEqualTo("x");
      assertThat(named.options()).isEqualTo(s.options());
      assertThat(named).isNotEqualTo(s).isEqualTo(s.withName("backup"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  "})
    void blankNames(String name) {
      assertThatIllegalArgumentException().isThrownBy(() -> ProviderSettings.parse("smtp://host").withName(name))
          .withMessage("provider name must not be blank");
    }
  }

  @Nested
  class BuildingInCode {
    @Test
    void buildsWhatADsnWouldGive() {
      ProviderSettings built = ProviderSettings.builder("smtp")
          .user("user").password("pass").host("host").port(587).path("/relay").option("tls", "starttls").build();

      assertThat(built).isEqualTo(ProviderSettings.parse("smtp://user:pass@host:587/relay?tls=starttls"))
          .hasSameHashCodeAs(ProviderSettings.parse("smtp://user:pass@host:587/relay?tls=starttls"));
    }

    @Test
    void toBuilderRoundTrips() {
      ProviderSettings s = ProviderSettings.parse("smtp://u:p@host:25/x?a=1&b=2").withName("n");

      assertThat(s.toBuilder().build()).isEqualTo(s);
      assertThat(s.toBuilder().option("c", "3").build().options()).containsKeys("a", "b", "c");
      assertThat(s.options()).doesNotContainKey("c");
    }

    @Test
    void checksItsInput() {
      assertThatIllegalArgumentException().isThrownBy(() -> ProviderSettings.builder("SMTP"))
          .withMessageContaining("was 'SMTP'");
      assertThatIllegalArgumentException().isThrownBy(() -> ProviderSettings.builder("smtp").port(0))
          .withMessage("port must be from 1 to 65535, was 0");
      assertThatIllegalArgumentException().isThrownBy(() -> ProviderSettings.builder("smtp").port(70000))
          .withMessage("port must be from 1 to 65535, was 70000");
      assertThatIllegalArgumentException().isThrownBy(() -> ProviderSettings.builder("smtp").build())
          .withMessage("smtp settings need a host: smtp://host");
      assertThatNullPointerException().isThrownBy(() -> ProviderSettings.builder("smtp").host(null));
      assertThatNullPointerException().isThrownBy(() -> ProviderSettings.builder("smtp").option("a", null));
    }

    @Test
    void theOptionsAreUnmodifiable() {
      ProviderSettings s = ProviderSettings.parse("smtp://host?a=1");

      assertThatThrownBy(() -> s.options().put("b", "2")).isInstanceOf(UnsupportedOperationException.class);
    }
  }

  @Nested
  class Masking {
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        smtp://user:TopSecret@host:587?tls=starttls           | smtp://user:****@host:587?tls=starttls
        sendgrid://SG.TopSecret@default                       | sendgrid://****@default
        smtp://:TopSecret@host                                | smtp://:****@host
        smtp://user:Top%40Secret@host                         | smtp://user:****@host
        smtp://host                                           | smtp://host
        smtp://host?apiKey=TopSecret&pool=2                   | smtp://host?apiKey=****&pool=2
        ses://host?accessKeyId=AKIA&secretAccessKey=TopSecret | ses://host?accessKeyId=****&secretAccessKey=****
        x://host?token=TopSecret&authToken=TopSecret          | x://host?token=****&authToken=****
        x://host?password=TopSecret&smtpPass=TopSecret&pwd=TopSecret | x://host?password=****&smtpPass=****&pwd=****
        x://host?client_secret=TopSecret&API_KEY=TopSecret    | x://host?client_secret=****&API_KEY=****
        x://host?signature=TopSecret&credentials=TopSecret    | x://host?signature=****&credentials=****
        mailgun://TopSecret@api.mailgun.net/mg.example.org    | mailgun://****@api.mailgun.net/mg.example.org
        smtp://u:TopSecret@[::1]:2525                         | smtp://u:****@[::1]:2525
        """)
    void maskedDsnHidesEverySecret(String dsn, String masked) {
      ProviderSettings s = ProviderSettings.parse(dsn);

      assertThat(s.maskedDsn()).isEqualTo(masked).doesNotContain("TopSecret").doesNotContain("Top@Secret");
      assertThat(s.toString()).isEqualTo("ProviderSettings[" + s.name() + ", " + masked + "]");
    }

    @Test
    void toStringShowsTheName() {
      assertThat(ProviderSettings.parse("sendgrid://KEY@default").withName("backup"))
          .hasToString("ProviderSettings[backup, sendgrid://****@default]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"apiKey", "api_key", "API-KEY", "token", "accessToken", "password", "passwd", "pwd",
        "secret", "clientSecret", "auth", "authorization", "credential", "signature", "privateKey"})
    void secretOptionNames(String name) {
      assertThat(ProviderSettings.isSecret(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tls", "pool", "timeout", "region", "host", "debug", "from", "domain"})
    void ordinaryOptionNames(String name) {
      assertThat(ProviderSettings.isSecret(name)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "smtp://user:TopSecret@host:abc",
        "smtp://user:TopSecret@host?a=1&a=2",
        "smtp://user:TopSecret@host?apiKey=%zz",
        "smtp://user:TopSecret@[::1",
        "smtp://user:TopSecret@[::1]x",
        "smtp://user:TopSecret@",
        "SMTP://user:TopSecret@host",
        "smtp:/user:TopSecret@host",
        "smtp://user:Top%ZZSecret@host",
        "smtp://user:TopSecret%FF@host",
        "sendgrid://TopSecret%zz@default",
        "sendgrid://TopSecret@:0",
        "smtp://host?apiKey=TopSecret&apiKey=TopSecret"
    })
    void parseErrorsNeverShowSecrets(String dsn) {
      assertThat(parseError(dsn)).hasMessageNotContaining("TopSecret").hasMessageNotContaining("Top");
    }
  }
}
