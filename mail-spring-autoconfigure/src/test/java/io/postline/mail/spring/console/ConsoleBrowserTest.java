package io.postline.mail.spring.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.Priority;
import io.postline.mail.core.AddressHasher;
import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.QueueCounts;
import io.postline.mail.core.SuppressionEntry;
import io.postline.mail.core.SuppressionList;
import io.postline.mail.core.Receipt;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * The console in a real headless Chromium (the system's {@code chromium} and {@code chromedriver}),
 * against a real Spring Boot application on a random port: Tomcat, Spring MVC, Spring Security
 * with form login and HTTP basic (operator {@code ops} with role OPS, {@code viewer} without), the
 * actuator, and an in-memory provider and queue.
 *
 * <p>With {@code -Dpostline.console.screenshots=DIR} the test also saves the screenshots the
 * documentation shows (docs/console.md).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {
  private static final String OUTBOX = "console-browser-test";
  private static final Duration WAIT = Duration.ofSeconds(30);

  private ConfigurableApplicationContext app;
  private Mailer mailer;
  private InMemoryProvider memory;
  private WebDriver driver;
  private WebDriverWait wait;

  /** A wait whose timeout says what the console's message line showed, the page's own account of an error. */
  private static final class PageWait extends WebDriverWait {
    private final WebDriver driver;

    PageWait(WebDriver driver, Duration timeout) {
      super(driver, timeout);
      this.driver = driver;
    }

    @Override
    public <V> V until(java.util.function.Function<? super WebDriver, ? extends V> condition) {
      try {
        return super.until(condition);
      } catch (org.openqa.selenium.TimeoutException e) {
        List<WebElement> message = driver.findElements(By.id("message"));
        throw new AssertionError("the console said: " + (message.isEmpty() ? "(no console)" : message.get(0).getText()), e);
      }
    }
  }
  private String root;
  private String console;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  void start() {
    app = new SpringApplicationBuilder(ConsoleApplication.class).properties(
        "server.port=0",
        "server.address=127.0.0.1",
        "spring.main.banner-mode=off",
        "postline.mail.providers.memory.dsn=memory://" + OUTBOX,
        "postline.mail.queue.workers=1",
        "postline.mail.queue.retry.max-attempts=1",
        "postline.mail.console.enabled=true",
        "postline.mail.console.role=OPS",
        "postline.mail.console.refresh=500ms",
        "management.endpoints.web.exposure.include=health,postline,postlineconsole").run();
    mailer = app.getBean(Mailer.class);
    memory = InMemoryProvider.named(OUTBOX);
    int port = ((WebServerApplicationContext) app).getWebServer().getPort();
    root = "http://127.0.0.1:" + port;
    console = root + "/actuator/postlineconsole";

    ChromeOptions options = new ChromeOptions();
    options.setBinary(new File("/usr/lib/chromium/chromium").exists() ? "/usr/lib/chromium/chromium" : "/usr/bin/chromium");
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=1440,1250", "--lang=en-GB");
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build();
    driver = new ChromeDriver(service, options);
    wait = new PageWait(driver, WAIT);
  }

  @AfterAll
  void stop() {
    if (driver != null) {
      driver.quit();
    }
    if (app != null) {
      app.close();
    }
  }

  @Test
  @Order(1)
  void aRequestWithoutTheManagementCredentialsIsRefused() throws Exception {
    assertThat(status(HttpRequest.newBuilder(URI.create(console + "/queue")).header("Accept", "application/json")))
        .as("no credentials").isEqualTo(401);
    assertThat(status(HttpRequest.newBuilder(URI.create(console)).header("Accept", "application/json")))
        .as("the page, no credentials").isEqualTo(401);
    assertThat(status(HttpRequest.newBuilder(URI.create(console + "/queue")).header("Accept", "application/json")
        .header("Authorization", basic("ops", "wrong")))).as("a wrong password").isEqualTo(401);
    assertThat(status(HttpRequest.newBuilder(URI.create(console + "/queue")).header("Accept", "application/json")
        .header("Authorization", basic("viewer", "viewer-secret")))).as("a user without the role").isEqualTo(403);
    assertThat(status(HttpRequest.newBuilder(URI.create(console + "/queue")).header("Accept", "application/json")
        .header("Authorization", basic("ops", "ops-secret")))).as("the operator").isEqualTo(200);

    // A browser without a session is sent to the login form, never shown the console.
    driver.get(console);
    wait.until(ExpectedConditions.urlContains("/login"));
    assertThat(driver.findElements(By.id("count-scheduled"))).isEmpty();
  }

  @Test
  @Order(2)
  void loadsAndShowsCountsThatMatchTheQueue() {
    Instant later = Instant.now().plus(Duration.ofHours(1));
    for (Priority p : List.of(Priority.HIGH, Priority.NORMAL, Priority.NORMAL, Priority.LOW)) {
      mailer.enqueue(email("later-" + p.name().toLowerCase() + "@example.org").priority(p).sendAt(later).build());
    }
    mailer.send(email("now@example.org").build());
    memory.failNext(1, FailureKind.TRANSIENT);
    mailer.send(email("retried@example.org").build());

    login();
    QueueCounts counts = mailer.queueCounts();
    assertThat(counts.scheduled()).isEqualTo(4);
    waitForText("count-scheduled", Long.toString(counts.scheduled()));
    waitForText("count-leased", Long.toString(counts.leased()));
    waitForText("count-dead", Long.toString(counts.deadLettered()));
    for (Priority p : Priority.values()) {
      waitForText("count-ready-" + p.name(), Long.toString(counts.ready().getOrDefault(p, 0L)));
    }
    // Provider health and circuit, and the chart's totals from the listener's ring buffer.
    WebElement health = wait.until(ExpectedConditions.presenceOfElementLocated(
        By.cssSelector("#health-rows tr[data-provider='memory']")));
    assertThat(health.getText()).contains("UP").contains("CLOSED");
    wait.until(ExpectedConditions.textToBe(By.cssSelector(".chart[data-provider='memory'] .sent-total"), "2"));
    wait.until(ExpectedConditions.textToBe(By.cssSelector(".chart[data-provider='memory'] .failed-total"), "1"));
    assertThat(driver.findElements(By.cssSelector(".chart[data-provider='memory'] svg rect"))).isNotEmpty();
    assertThat(driver.findElement(By.id("operator")).getText()).isEqualTo("ops");
  }

  @Test
  @Order(3)
  void requeuesADeadLetterAndSeesItSent() {
    login();
    memory.failNext(1, FailureKind.PERMANENT);
    Receipt receipt = mailer.enqueue(email("dead@example.org").tag("welcome").build());
    await().atMost(WAIT).until(() -> mailer.deadLetters().list(100).stream().anyMatch(d -> d.id().equals(receipt.id())));

    By row = By.cssSelector("#dead-letter-rows tr[data-id='" + receipt.id() + "']");
    WebElement letter = wait.until(ExpectedConditions.presenceOfElementLocated(row));
    assertThat(letter.getText()).contains("d***@example.org").doesNotContain("dead@example.org");
    waitForText("count-dead", Long.toString(mailer.queueCounts().deadLettered()));

    // Reveal one recipient: the address appears, on the operator's request only.
    letter.findElement(By.cssSelector("button.reveal")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(row, "dead@example.org"));
    screenshot("console");

    int sentBefore = memory.sentTo("dead@example.org").size();
    driver.findElement(row).findElement(By.cssSelector("button.requeue")).click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
    assertThat(driver.findElement(By.id("confirm-message")).getText()).contains(receipt.id());
    driver.findElement(By.id("confirm-ok")).click();

    wait.until(ExpectedConditions.invisibilityOfElementLocated(row));
    assertThat(memory.awaitSent(1, WAIT)).isNotEmpty();
    await().atMost(WAIT).until(() -> memory.sentTo("dead@example.org").size() == sentBefore + 1);

    // The message's whole story, looked up by id: dead-lettered, then sent.
    WebElement id = driver.findElement(By.id("lookup-id"));
    id.clear();
    id.sendKeys(receipt.id());
    driver.findElement(By.id("lookup-go")).click();
    wait.until(ExpectedConditions.attributeToBe(By.id("lookup-status"), "data-status", "sent"));
    String trail = driver.findElement(By.id("lookup-rows")).getText();
    assertThat(trail).contains("dead_lettered").contains("sent");
    assertThat(mailer.deadLetters().list(100)).noneMatch(d -> d.id().equals(receipt.id()));
  }

  @Test
  @Order(4)
  void previewsATemplateInTwoLocales() {
    login();
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#preview-template option[value='receipt']")));
    new Select(driver.findElement(By.id("preview-template"))).selectByValue("receipt");
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#preview-locale option[value='de']")));
    WebElement model = driver.findElement(By.id("preview-model"));
    model.clear();
    model.sendKeys("{\"name\": \"Ann\", \"total\": \"12.50 EUR\"}");

    new Select(driver.findElement(By.id("preview-locale"))).selectByValue("");
    driver.findElement(By.id("preview-go")).click();
    waitForText("preview-subject", "Your receipt, Ann");
    waitForText("preview-text", "Thank you, Ann. You paid 12.50 EUR.");
    assertThat(frameText()).contains("Thank you, Ann").contains("You paid 12.50 EUR.");
    WebElement frame = driver.findElement(By.id("preview-html"));
    assertThat(frame.getDomAttribute("sandbox")).as("no scripts, no same origin").isEmpty();

    new Select(driver.findElement(By.id("preview-locale"))).selectByValue("de");
    driver.findElement(By.id("preview-go")).click();
    waitForText("preview-subject", "Ihre Quittung, Ann");
    waitForText("preview-text", "Danke, Ann. Sie haben 12.50 EUR bezahlt.");
    assertThat(frameText()).contains("Danke, Ann").contains("Sie haben 12.50 EUR bezahlt.");
    screenshot("console-preview");

    // A model that lacks a variable: the template's own error, not a half-rendered preview.
    model.clear();
    model.sendKeys("{\"name\": \"Ann\"}");
    driver.findElement(By.id("preview-go")).click();
    wait.until(ExpectedConditions.attributeToBe(By.id("message"), "class", "error"));
    assertThat(driver.findElement(By.id("message")).getText()).contains("total");
  }

  @Test
  @Order(5)
  void anActionWithoutTheCsrfTokensIsRefused() throws Exception {
    login();
    memory.failNext(1, FailureKind.PERMANENT);
    Receipt receipt = mailer.enqueue(email("kept@example.org").build());
    await().atMost(WAIT).until(() -> mailer.deadLetters().list(100).stream().anyMatch(d -> d.id().equals(receipt.id())));
    wait.until(ExpectedConditions.presenceOfElementLocated(
        By.cssSelector("#dead-letter-rows tr[data-id='" + receipt.id() + "']")));

    // From the operator's own logged-in browser session: no token at all, then Spring Security's
    // CSRF token without the console's.
    Map<?, ?> none = post("{}", receipt.id());
    assertThat(((Number) none.get("status")).intValue()).isEqualTo(403);
    Map<?, ?> springOnly = post("{[document.querySelector('meta[name=csrf-header]').content]:"
        + " document.querySelector('meta[name=csrf-token]').content}", receipt.id());
    assertThat(((Number) springOnly.get("status")).intValue()).isEqualTo(403);
    assertThat((String) springOnly.get("body")).contains("X-Postline-Console-Token");
    // With HTTP basic credentials but no token.
    assertThat(status(HttpRequest.newBuilder(URI.create(console + "/purge"))
        .header("Content-Type", "application/json").header("Authorization", basic("ops", "ops-secret"))
        .POST(HttpRequest.BodyPublishers.ofString("{}")))).isEqualTo(403);

    assertThat(mailer.deadLetters().list(100)).anyMatch(d -> d.id().equals(receipt.id()));

    // The page's own purge, with its tokens and the confirmation, works.
    By row = By.cssSelector("#dead-letter-rows tr[data-id='" + receipt.id() + "']");
    driver.findElement(row).findElement(By.cssSelector("button.purge")).click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
    driver.findElement(By.id("confirm-cancel")).click();
    assertThat(mailer.deadLetters().list(100)).as("cancelled").anyMatch(d -> d.id().equals(receipt.id()));
    driver.findElement(row).findElement(By.cssSelector("button.purge")).click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
    driver.findElement(By.id("confirm-ok")).click();
    wait.until(ExpectedConditions.invisibilityOfElementLocated(row));
    assertThat(mailer.deadLetters().list(100)).noneMatch(d -> d.id().equals(receipt.id()));
  }

  @Test
  @Order(6)
  void searchesAndRemovesASuppressedAddress() {
    SuppressionList suppressions = app.getBean(SuppressionList.class);
    suppressions.add(SuppressionEntry.of(suppressions.hash(io.postline.mail.Address.of("bounced@example.org")),
        SuppressionEntry.Reason.HARD_BOUNCE, "test", Instant.now()));
    login();
    WebElement address = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("suppression-address")));
    address.sendKeys("bounced@example.org");
    driver.findElement(By.id("suppression-search")).click();
    waitForText("suppression-result", "That address has 1 entry.");
    assertThat(driver.findElement(By.id("suppression-rows")).getText()).contains("HARD_BOUNCE")
        .doesNotContain("bounced@example.org");
    screenshot("console-suppressions");
    driver.findElement(By.id("suppression-remove")).click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
    driver.findElement(By.id("confirm-ok")).click();
    waitForText("suppression-result", "That address is not suppressed.");
    assertThat(suppressions.count()).isZero();
  }

  private Map<?, ?> post(String headers, String id) {
    Object result = ((JavascriptExecutor) driver).executeAsyncScript(
        "var done = arguments[arguments.length - 1];"
            + "var h = " + headers + "; h['Content-Type'] = 'application/json';"
            + "fetch(location.pathname + '/purge', {method: 'POST', credentials: 'same-origin', headers: h,"
            + " body: JSON.stringify({id: arguments[0]})})"
            + ".then(function (r) { return r.text().then(function (t) { done({status: r.status, body: t}); }); })"
            + ".catch(function (e) { done({status: -1, body: String(e)}); });", id);
    return (Map<?, ?>) result;
  }

  private String frameText() {
    driver.switchTo().frame(driver.findElement(By.id("preview-html")));
    try {
      return driver.findElement(By.tagName("body")).getText();
    } finally {
      driver.switchTo().defaultContent();
    }
  }

  /** Opens the console, signing in through the login form when the browser has no session yet. */
  private void login() {
    driver.get(console);
    if (driver.getCurrentUrl().contains("/login")) {
      wait.until(ExpectedConditions.visibilityOfElementLocated(By.name("username"))).sendKeys("ops");
      driver.findElement(By.name("password")).sendKeys("ops-secret");
      driver.findElement(By.cssSelector("button[type='submit']")).click();
      wait.until(d -> d.getCurrentUrl().startsWith(console) && !d.getCurrentUrl().contains("/login"));
    }
    wait.until(ExpectedConditions.not(ExpectedConditions.textToBe(By.id("last-updated"), "never")));
  }

  private void waitForText(String id, String text) {
    wait.until(ExpectedConditions.textToBe(By.id(id), text));
  }

  private void screenshot(String name) {
    String dir = System.getProperty("postline.console.screenshots");
    if (dir == null || dir.isBlank()) {
      return;
    }
    try {
      File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
      Path target = Path.of(dir).resolve(name + ".png");
      Files.createDirectories(target.getParent());
      Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new IllegalStateException("cannot save the screenshot " + name, e);
    }
  }

  private int status(HttpRequest.Builder request) throws IOException, InterruptedException {
    return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static Email.Builder email(String to) {
    return Email.builder().from("shop@example.org").to(to).subject("Hello").text("Hi");
  }

  /** The users of both test applications: operators {@code ops} and {@code ops2} (role OPS), and {@code viewer}. */
  static InMemoryUserDetailsManager operators() {
    return new InMemoryUserDetailsManager(
        User.withUsername("ops").password("{noop}ops-secret").roles("OPS").build(),
        User.withUsername("ops2").password("{noop}ops2-secret").roles("OPS").build(),
        User.withUsername("viewer").password("{noop}viewer-secret").roles("USER").build());
  }

  /** The application: Spring Security guards everything, the actuator needs role OPS. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class ConsoleApplication {

    @Bean
    SecurityFilterChain security(HttpSecurity http) throws Exception {
      http.authorizeHttpRequests(a -> a.requestMatchers("/error").permitAll()
          .requestMatchers("/actuator/**").hasRole("OPS").anyRequest().authenticated())
          .formLogin(Customizer.withDefaults())
          .httpBasic(Customizer.withDefaults());
      return http.build();
    }

    @Bean
    InMemoryUserDetailsManager users() {
      return ConsoleBrowserTest.operators();
    }

    @Bean
    SuppressionList suppressionList() {
      return SuppressionList.inMemory(AddressHasher.hmacSha256("console-test-key-0123456789abcdef".getBytes(
          StandardCharsets.US_ASCII)), Clock.systemUTC());
    }
  }
}
