package io.postline.mail.spring.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ConsolePageTest {

  @Test
  void theScriptRunsByItsHashAndNothingElseIsAllowed() throws Exception {
    String html = ConsolePage.load().render("ops", "tok", "X-CSRF-TOKEN", "csrf", 2000);
    Matcher policy = Pattern.compile("http-equiv=\"Content-Security-Policy\" content=\"([^\"]+)\"").matcher(html);
    assertThat(policy.find()).isTrue();
    Matcher script = Pattern.compile("<script>(.*)</script>", Pattern.DOTALL).matcher(html);
    assertThat(script.find()).isTrue();
    String hash = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
        .digest(script.group(1).getBytes(StandardCharsets.UTF_8)));
    assertThat(policy.group(1).replace("&#39;", "'")).startsWith("default-src 'none'; script-src 'sha256-" + hash + "';")
        .contains("connect-src 'self'").doesNotContain("http:").doesNotContain("https:").doesNotContain("*");
    assertThat(html).doesNotContain("{{").contains("<meta name=\"csrf-header\" content=\"X-CSRF-TOKEN\">");
  }

  @Test
  void anOperatorNameIsEscapedAndNeverTakenForAPlaceholder() {
    String html = ConsolePage.load().render("<img src=x onerror=alert(1)>{{script}}", "tok", null, null, 10);
    assertThat(html).contains("&lt;img src=x onerror=alert(1)&gt;{{script}}").doesNotContain("<img src=x")
        .contains("<meta name=\"csrf-header\" content=\"\">")
        .contains("<meta name=\"refresh-ms\" content=\"500\">");
  }

  @Test
  void aRefusalPageEscapesItsReason() {
    assertThat(ConsolePage.refusal("needs <b>role</b>")).contains("needs &lt;b&gt;role&lt;/b&gt;");
  }
}
