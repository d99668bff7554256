package io.postline.mail.spring.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.postline.mail.Address;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.core.AddressHash;
import io.postline.mail.core.InMemoryProvider;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.Receipt;
import io.postline.mail.core.SuppressionEntry;
import io.postline.mail.core.SuppressionList;
import io.postline.mail.core.TemplateException;
import io.postline.mail.core.Templates;
import io.postline.mail.spring.PostlineEndpoint;
import java.security.Principal;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/** The endpoint's operations on a real Mailer, and what failures of the parts it uses do to them. */
class PostlineConsoleEndpointTest {
  private static final SecurityContext OPS = new SecurityContext() {
    @Override
    public Principal getPrincipal() {
      return () -> "ops";
    }

    @Override
    public boolean isUserInRole(String role) {
      return true;
    }
  };

  private final String outbox = "console-endpoint-" + UUID.randomUUID();
  private final Mailer mailer = Mailer.builder().provider("memory", "memory://" + outbox).queueRetry(
      io.postline.mail.core.RetryPolicy.none()).build();

  @AfterEach
  void close() {
    mailer.close();
    RequestContextHolder.resetRequestAttributes();
  }

  @Test
  void revealsOneRecipientOfADeadLetterByIndexAndRejectsAnIndexOutOfRange() {
    PostlineConsoleEndpoint endpoint = endpoint(null, null);
    String id = deadLetter("ann@example.org");
    String token = signIn(endpoint);
    assertThat(action(endpoint, token, "reveal", id, 0, null, null).getBody())
        .isEqualTo(Map.of("id", id, "recipient", 0, "address", "ann@example.org"));
    WebEndpointResponse<Object> out = action(endpoint, token, "reveal", id, 1, null, null);
    assertThat(out.getStatus()).isEqualTo(400);
    assertThat(out.getBody().toString()).contains("recipient must be from 0 to 0").doesNotContain("ann@");
    assertThat(action(endpoint, token, "reveal", "nope", 0, null, null).getStatus()).isEqualTo(404);
  }

  @Test
  void anActionWithoutARequestOrWithTheTokenOfAnotherOperatorIsRefused() {
    PostlineConsoleEndpoint endpoint = endpoint(null, null);
    String id = deadLetter("ann@example.org");
    WebEndpointResponse<Object> none = endpoint.action(OPS, "purge", id, null, null, null, null, null);
    assertThat(none.getStatus()).isEqualTo(403);
    String token = signIn(endpoint);
    SecurityContext other = new SecurityContext() {
      @Override
      public Principal getPrincipal() {
        return () -> "someone-else";
      }

      @Override
      public boolean isUserInRole(String role) {
        return true;
      }
    };
    setRequest(token);
    assertThat(endpoint.action(other, "purge", id, null, null, null, null, null).getStatus()).isEqualTo(403);
    assertThat(mailer.deadLetters().list(10)).hasSize(1);
    assertThat(action(endpoint, token, "purge", id, null, null, null).getStatus()).isEqualTo(200);
    assertThat(mailer.deadLetters().list(10)).isEmpty();
  }

  @Test
  void aModelThatIsNotJsonIsABadRequestAndTheTemplatesOwnErrorIsShown() {
    Templates templates = (name, locale, model) -> {
      throw new TemplateException("template '" + name + "' has no variable 'total'");
    };
    PostlineConsoleEndpoint endpoint = endpoint(templates, null);
    setRequest(signIn(endpoint));
    WebEndpointResponse<Object> notJson = endpoint.action(OPS, "preview", null, null, null, "receipt", "de",
        "{name: secret-value");
    assertThat(notJson.getStatus()).isEqualTo(400);
    assertThat(notJson.getBody().toString()).contains("must be a JSON object").doesNotContain("secret-value");
    WebEndpointResponse<Object> failed = endpoint.action(OPS, "preview", null, null, null, "receipt", "de",
        "{\"name\": \"Ann\"}");
    assertThat(failed.getStatus()).isEqualTo(422);
    assertThat(failed.getBody().toString()).contains("no variable 'total'");
  }

  @Test
  void errorsFromTheApplicationsPartsAreNotSwallowed() {
    Templates broken = (name, locale, model) -> {
      throw new IllegalStateException("template store unreachable");
    };
    SuppressionList failing = new FailingSuppressionList();
    PostlineConsoleEndpoint endpoint = endpoint(broken, failing);
    setRequest(signIn(endpoint));
    assertThatThrownBy(() -> endpoint.action(OPS, "preview", null, null, null, "receipt", "", "{}"))
        .isInstanceOf(IllegalStateException.class).hasMessage("template store unreachable");
    assertThatThrownBy(() -> endpoint.view(OPS, "suppressions", null, null, null))
        .isInstanceOf(OutOfMemoryError.class);
  }

  @Test
  void withoutASuppressionListOrTemplatesTheViewsSaySo() {
    PostlineConsoleEndpoint endpoint = endpoint(null, null);
    assertThat(endpoint.view(OPS, "suppressions", null, null, null).getBody()).isEqualTo(Map.of("available", false));
    assertThat(endpoint.view(OPS, "templates", null, null, null).getBody())
        .isEqualTo(Map.of("available", false, "templates", Map.of()));
    String token = signIn(endpoint);
    assertThat(action(endpoint, token, "unsuppress", null, null, "ann@example.org", null).getStatus()).isEqualTo(404);
    assertThat(endpoint.view(OPS, "nonsense", null, null, null).getStatus()).isEqualTo(404);
    assertThat(endpoint.view(OPS, "audit", null, null, null).getStatus()).isEqualTo(400);
  }

  @Test
  void searchesBySuppressedAddressShowingHashesOnly() {
    SuppressionList list = SuppressionList.inMemory(
        io.postline.mail.core.AddressHasher.hmacSha256(new byte[32]), Clock.systemUTC());
    list.add(SuppressionEntry.of(list.hash(Address.of("ann@example.org")), SuppressionEntry.Reason.COMPLAINT, "sns",
        java.time.Instant.now()));
    PostlineConsoleEndpoint endpoint = endpoint(null, list);
    WebEndpointResponse<Object> found = endpoint.view(OPS, "suppressions", null, "ann@example.org", null);
    assertThat(found.getStatus()).isEqualTo(200);
    assertThat(found.getBody().toString()).contains("COMPLAINT").doesNotContain("ann@example.org");
    assertThat(endpoint.view(OPS, "suppressions", null, "not an address", null).getStatus()).isEqualTo(400);
  }

  @Test
  void anonymousRequestsAreLoggedOnceAsAWarningThenAtDebugNeverAsErrors() {
    SecurityContext anonymous = new SecurityContext() {
      @Override
      public @Nullable Principal getPrincipal() {
        return null;
      }

      @Override
      public boolean isUserInRole(String role) {
        return false;
      }
    };
    Logger logger = (Logger) LoggerFactory.getLogger(PostlineConsoleEndpoint.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    logger.addAppender(logs);
    Level level = logger.getLevel();
    logger.setLevel(Level.DEBUG);
    try {
      PostlineConsoleEndpoint endpoint = endpoint(null, null);
      for (int i = 0; i < 50; i++) {
        assertThat(endpoint.view(anonymous, "queue", null, null, null).getStatus()).isEqualTo(403);
        assertThat(endpoint.page(anonymous).getStatus()).isEqualTo(403);
      }
      assertThat(logs.list).noneMatch(e -> e.getLevel() == Level.ERROR);
      assertThat(logs.list).filteredOn(e -> e.getLevel() == Level.WARN).singleElement()
          .satisfies(e -> assertThat(e.getFormattedMessage()).contains("anonymous").contains("secure it"));
      assertThat(logs.list).filteredOn(e -> e.getLevel() == Level.DEBUG).hasSize(99);
    } finally {
      logger.setLevel(level);
      logger.detachAppender(logs);
    }
  }

  private PostlineConsoleEndpoint endpoint(@Nullable Templates templates, @Nullable SuppressionList suppressions) {
    return new PostlineConsoleEndpoint(mailer, new PostlineEndpoint(mailer, true),
        new ConsoleThroughput(5, Clock.systemUTC()), templates, new TemplateCatalog("classpath:nothing-here/",
        getClass().getClassLoader()), suppressions, new PostlineConsoleProperties());
  }

  private String deadLetter(String to) {
    InMemoryProvider.named(outbox).failNext(1, FailureKind.PERMANENT);
    Receipt r = mailer.enqueue(Email.builder().from("shop@example.org").to(to).subject("Hi").text("Hello").build());
    await().atMost(Duration.ofSeconds(20)).until(() -> !mailer.deadLetters().list(10).isEmpty());
    return r.id();
  }

  /** Loads the page as {@code ops} and returns the console token it carries. */
  private static String signIn(PostlineConsoleEndpoint endpoint) {
    setRequest(null);
    String page = endpoint.page(OPS).getBody();
    java.util.regex.Matcher m = java.util.regex.Pattern
        .compile("<meta name=\"postline-console-token\" content=\"([^\"]+)\">").matcher(page);
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  private static void setRequest(@Nullable String token) {
    MockHttpServletRequest request = new MockHttpServletRequest("POST", "/actuator/postlineconsole/x");
    if (token != null) {
      request.addHeader(PostlineConsoleEndpoint.TOKEN_HEADER, token);
    }
    RequestContextHolder.setRequestAttributes(new ServletRequestAttributes(request));
  }

  private static WebEndpointResponse<Object> action(PostlineConsoleEndpoint endpoint, String token, String action,
      @Nullable String id, @Nullable Integer recipient, @Nullable String address, @Nullable String template) {
    setRequest(token);
    return endpoint.action(OPS, action, id, recipient, address, template, null, null);
  }

  /** A suppression store whose reads fail with an Error, as a broken plugin might. */
  private static final class FailingSuppressionList implements SuppressionList {
    @Override
    public AddressHash hash(Address address) {
      return new AddressHash("0".repeat(64));
    }

    @Override
    public void add(SuppressionEntry entry) {}

    @Override
    public Optional<SuppressionEntry> find(AddressHash address, @Nullable String list) {
      return Optional.empty();
    }

    @Override
    public int remove(AddressHash address) {
      return 0;
    }

    @Override
    public int recordSoftBounce(AddressHash address, Duration window) {
      return 0;
    }

    @Override
    public List<SuppressionEntry> list() {
      throw new OutOfMemoryError("simulated");
    }

    @Override
    public long count() {
      return 0;
    }
  }
}
