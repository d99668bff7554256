package io.postline.mail.spring.console;

import io.postline.mail.Address;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.core.DeadLetter;
import io.postline.mail.core.Mailer;
import io.postline.mail.core.MailerHealth;
import io.postline.mail.core.RenderedTemplate;
import io.postline.mail.core.SuppressionEntry;
import io.postline.mail.core.SuppressionList;
import io.postline.mail.core.TemplateException;
import io.postline.mail.core.Templates;
import io.postline.mail.spring.PostlineEndpoint;
import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.WebEndpoint;
import org.springframework.boot.json.JsonParserFactory;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * The {@code postlineconsole} actuator endpoint: the operations console's page and the JSON
 * operations it polls and acts through.
 *
 * <ul>
 *   <li>{@code GET /actuator/postlineconsole}: the page (HTML, with its CSS and script inline under
 *       a Content-Security-Policy that allows nothing else).</li>
 *   <li>{@code GET /actuator/postlineconsole/{view}}: {@code queue} (counts and dead letters, as
 *       {@link PostlineEndpoint} reports them), {@code throughput}, {@code health},
 *       {@code audit?id=}, {@code suppressions[?address=]}, {@code templates}.</li>
 *   <li>{@code POST /actuator/postlineconsole/{action}} with a JSON body: {@code requeue} and
 *       {@code purge} ({@code id}, or none for every dead letter), {@code reveal} ({@code id},
 *       {@code recipient} index), {@code unsuppress} ({@code address}), {@code preview}
 *       ({@code template}, {@code locale}, {@code model}).</li>
 * </ul>
 *
 * <p><b>Protection.</b> The application's Spring Security decides who reaches the endpoint; the
 * endpoint itself refuses (403) any anonymous request, a user without
 * {@code postline.mail.console.role} when one is set, and any action without the console's token
 * in the {@value #TOKEN_HEADER} header: an HMAC of the operator's name under a key made at start-up,
 * handed out only inside the page. Spring Security's own CSRF token is sent as well, so both checks
 * apply where Spring Security's CSRF protection is on. Every action is logged as an operator action,
 * with the operator's name and never an address.
 */
@WebEndpoint(id = PostlineConsoleEndpoint.ID)
public class PostlineConsoleEndpoint {
  /** The endpoint's id, and its path under the actuator base path. */
  public static final String ID = "postlineconsole";
  /** The header every action carries the console's token in. */
  public static final String TOKEN_HEADER = "X-Postline-Console-Token";

  private static final Logger LOG = LoggerFactory.getLogger(PostlineConsoleEndpoint.class);
  private static final int SUPPRESSIONS_SHOWN = 100;
  private static final int DEAD_LETTER_SCAN = 1000;
  private static final int FORBIDDEN = 403;

  private final Mailer mailer;
  private final PostlineEndpoint postline;
  private final ConsoleThroughput throughput;
  private final @Nullable Templates templates;
  private final TemplateCatalog catalog;
  private final @Nullable SuppressionList suppressions;
  private final PostlineConsoleProperties properties;
  private final ConsolePage page;
  private final SecretKeySpec tokenKey;
  private final AtomicBoolean anonymousWarned = new AtomicBoolean();

  PostlineConsoleEndpoint(Mailer mailer, PostlineEndpoint postline, ConsoleThroughput throughput,
      @Nullable Templates templates, TemplateCatalog catalog, @Nullable SuppressionList suppressions,
      PostlineConsoleProperties properties) {
    this.mailer = Objects.requireNonNull(mailer, "mailer");
    this.postline = Objects.requireNonNull(postline, "postline");
    this.throughput = Objects.requireNonNull(throughput, "throughput");
    this.templates = templates;
    this.catalog = Objects.requireNonNull(catalog, "catalog");
    this.suppressions = suppressions;
    this.properties = Objects.requireNonNull(properties, "properties");
    this.page = ConsolePage.load();
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    this.tokenKey = new SecretKeySpec(key, "HmacSHA256");
  }

  /**
   * The console's page.
   *
   * @param security who asks
   */
  @ReadOperation(produces = "text/html;charset=UTF-8")
  public WebEndpointResponse<String> page(SecurityContext security) {
    String refusal = refusal(security);
    if (refusal != null) {
      return new WebEndpointResponse<>(ConsolePage.refusal(refusal), FORBIDDEN);
    }
    HttpServletRequest request = request();
    CsrfToken csrf = request == null ? null : (CsrfToken) request.getAttribute(CsrfToken.class.getName());
    String user = Objects.requireNonNull(security.getPrincipal()).getName();
    return new WebEndpointResponse<>(page.render(user, token(user), csrf == null ? null : csrf.getHeaderName(),
        csrf == null ? null : csrf.getToken(), properties.getRefresh().toMillis()), WebEndpointResponse.STATUS_OK);
  }

  /**
   * One view of the console, as JSON.
   *
   * @param security who asks
   * @param view {@code queue}, {@code throughput}, {@code health}, {@code audit},
   *     {@code suppressions} or {@code templates}
   * @param id the message id, for {@code audit}
   * @param address an address to look up, for {@code suppressions}
   * @param limit how many dead letters {@code queue} lists
   */
  @ReadOperation
  public WebEndpointResponse<Object> view(SecurityContext security, @Selector String view, @Nullable String id,
      @Nullable String address, @Nullable Integer limit) {
    String refusal = refusal(security);
    if (refusal != null) {
      return error(FORBIDDEN, refusal);
    }
    return switch (view) {
      case "queue" -> ok(postline.queue(limit));
      case "throughput" -> ok(throughput.snapshot());
      case "health" -> ok(health(mailer.health()));
      case "audit" -> {
        if (id == null || id.isBlank()) {
          yield error(WebEndpointResponse.STATUS_BAD_REQUEST, "give the message id: audit?id=...");
        }
        PostlineEndpoint.AuditTrail trail = postline.audit(id.strip());
        yield trail == null ? error(WebEndpointResponse.STATUS_NOT_FOUND, "the audit log keeps no event of that id")
            : ok(trail);
      }
      case "suppressions" -> suppressions(address);
      case "templates" -> ok(Map.of("available", templates != null, "templates", catalog.list()));
      default -> error(WebEndpointResponse.STATUS_NOT_FOUND,
          "unknown view; use queue, throughput, health, audit, suppressions or templates");
    };
  }

  /**
   * One operator action.
   *
   * @param security who asks
   * @param action {@code requeue}, {@code purge}, {@code reveal}, {@code unsuppress} or {@code preview}
   * @param id a dead letter's id ({@code requeue}, {@code purge}, {@code reveal})
   * @param recipient the index of the recipient to reveal
   * @param address the address to remove from the suppression list
   * @param template the template to preview
   * @param locale the locale to preview it in, such as {@code de} or {@code de_CH}; the default variant when blank
   * @param model the values the template refers to, as a JSON object (actuator bodies are flat, so the
   *     page sends the model as a string)
   */
  @WriteOperation
  public WebEndpointResponse<Object> action(SecurityContext security, @Selector String action, @Nullable String id,
      @Nullable Integer recipient, @Nullable String address, @Nullable String template, @Nullable String locale,
      @Nullable String model) {
    String refusal = refusal(security);
    if (refusal == null) {
      refusal = csrfRefusal(Objects.requireNonNull(security.getPrincipal()).getName());
    }
    if (refusal != null) {
      return error(FORBIDDEN, refusal);
    }
    String user = Objects.requireNonNull(security.getPrincipal()).getName();
    String target = id == null || id.isBlank() ? null : id.strip();
    return switch (action) {
      case "requeue", "purge" -> {
        PostlineEndpoint.ActionResult result = postline.deadLetters(action, target);
        LOG.info("postline console: operator '{}' {}d {} ({} affected)", user, action,
            target == null ? "every dead letter" : "dead letter " + target, result.affected());
        yield ok(result);
      }
      case "reveal" -> reveal(user, target, recipient);
      case "unsuppress" -> unsuppress(user, address);
      case "preview" -> preview(template, locale, model);
      default -> error(WebEndpointResponse.STATUS_NOT_FOUND,
          "unknown action; use requeue, purge, reveal, unsuppress or preview");
    };
  }

  private WebEndpointResponse<Object> reveal(String user, @Nullable String id, @Nullable Integer recipient) {
    if (id == null || recipient == null) {
      return error(WebEndpointResponse.STATUS_BAD_REQUEST, "give the dead letter's id and the recipient's index");
    }
    DeadLetter letter = mailer.deadLetters().list(DEAD_LETTER_SCAN).stream().filter(d -> d.id().equals(id))
        .findFirst().orElse(null);
    if (letter == null) {
      return error(WebEndpointResponse.STATUS_NOT_FOUND, "no dead letter with that id among the newest "
          + DEAD_LETTER_SCAN);
    }
    List<Address> recipients = letter.mail().email().recipients();
    if (recipient < 0 || recipient >= recipients.size()) {
      return error(WebEndpointResponse.STATUS_BAD_REQUEST, "recipient must be from 0 to " + (recipients.size() - 1));
    }
    LOG.info("postline console: operator '{}' revealed recipient {} of dead letter {}", user, recipient, id);
    return ok(Map.of("id", id, "recipient", recipient, "address", recipients.get(recipient).email()));
  }

  private WebEndpointResponse<Object> suppressions(@Nullable String address) {
    SuppressionList list = suppressions;
    if (list == null) {
      return ok(Map.of("available", false));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("available", true);
    out.put("count", list.count());
    if (address != null && !address.isBlank()) {
      Address parsed = parse(address);
      if (parsed == null) {
        return error(WebEndpointResponse.STATUS_BAD_REQUEST, "that is not an email address");
      }
      var hash = list.hash(parsed);
      out.put("search", list.list().stream().filter(e -> e.address().equals(hash)).map(this::describe).toList());
    }
    out.put("entries", list.list().stream().sorted(Comparator.comparing(SuppressionEntry::createdAt).reversed())
        .limit(SUPPRESSIONS_SHOWN).map(this::describe).toList());
    return ok(out);
  }

  private WebEndpointResponse<Object> unsuppress(String user, @Nullable String address) {
    SuppressionList list = suppressions;
    if (list == null) {
      return error(WebEndpointResponse.STATUS_NOT_FOUND, "the application has no suppression list");
    }
    Address parsed = address == null ? null : parse(address);
    if (parsed == null) {
      return error(WebEndpointResponse.STATUS_BAD_REQUEST, "give the address to remove");
    }
    var hash = list.hash(parsed);
    int removed = list.remove(hash);
    LOG.info("postline console: operator '{}' removed {} suppression entries of address hash {}", user, removed,
        hash.hex().substring(0, 12));
    return ok(Map.of("removed", removed));
  }

  private WebEndpointResponse<Object> preview(@Nullable String template, @Nullable String locale,
      @Nullable String model) {
    Templates t = templates;
    if (t == null) {
      return error(WebEndpointResponse.STATUS_NOT_FOUND, "the application has no templates bean to preview with");
    }
    if (template == null || template.isBlank()) {
      return error(WebEndpointResponse.STATUS_BAD_REQUEST, "give the template's name");
    }
    Map<String, Object> values;
    try {
      values = model == null || model.isBlank() ? Map.of() : JsonParserFactory.getJsonParser().parseMap(model);
    } catch (IllegalArgumentException e) {
      return error(WebEndpointResponse.STATUS_BAD_REQUEST, "the model must be a JSON object, such as {\"name\": \"Ann\"}");
    }
    Locale l = locale == null || locale.isBlank() ? Locale.ROOT : Locale.forLanguageTag(locale.strip().replace('_', '-'));
    try {
      RenderedTemplate r = t.render(template.strip(), l, values);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("template", template.strip());
      out.put("locale", r.locale().toString());
      out.put("subject", r.subject());
      out.put("text", r.text().orElse(null));
      out.put("html", r.html().orElse(null));
      return ok(out);
    } catch (TemplateException e) {
      return error(422, e.getMessage());
    }
  }

  private Map<String, Object> describe(SuppressionEntry e) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("address", e.address().hex());
    out.put("list", e.list().orElse(null));
    out.put("reason", e.reason().name());
    out.put("source", e.source());
    out.put("createdAt", e.createdAt().toString());
    out.put("expiresAt", e.expiresAt().map(Instant::toString).orElse(null));
    return out;
  }

  private static Map<String, Object> health(MailerHealth health) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("status", health.status().name());
    out.put("providers", health.providers().stream().map(p -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("provider", p.provider());
      m.put("status", p.status().name());
      m.put("circuit", p.circuitState());
      m.put("detail", p.detail().orElse(null));
      return m;
    }).toList());
    out.put("workers", Map.of("running", health.workers().running(), "configured", health.workers().configured()));
    return out;
  }

  private static @Nullable Address parse(String address) {
    try {
      return Address.of(address.strip());
    } catch (InvalidEmailException e) {
      return null;
    }
  }

  /** Why a request must be refused whatever it asks, or null. */
  private @Nullable String refusal(SecurityContext security) {
    if (security.getPrincipal() == null) {
      // Once at WARN, then DEBUG: anyone can send anonymous requests, and a log line each is a flood.
      if (anonymousWarned.compareAndSet(false, true)) {
        LOG.warn("postline console: refused an anonymous request; the application's security lets anonymous"
            + " requests reach the actuator endpoint '{}': secure it (further ones are logged at DEBUG)", ID);
      } else {
        LOG.debug("postline console: refused an anonymous request");
      }
      return "the console serves authenticated operators only, and this request is anonymous:"
          + " secure the actuator endpoints with Spring Security";
    }
    String role = properties.getRole();
    if (role != null && !role.isBlank() && !security.isUserInRole(role.strip())) {
      return "the console needs the role " + role.strip();
    }
    return null;
  }

  /** Why an action must be refused for want of the console's token, or null. */
  private @Nullable String csrfRefusal(String user) {
    HttpServletRequest request = request();
    String given = request == null ? null : request.getHeader(TOKEN_HEADER);
    if (given == null || !MessageDigest.isEqual(given.getBytes(StandardCharsets.US_ASCII),
        token(user).getBytes(StandardCharsets.US_ASCII))) {
      return "an action needs the console's token in the " + TOKEN_HEADER + " header; reload the console";
    }
    return null;
  }

  private String token(String user) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(tokenKey);
      return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(user.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }

  private static @Nullable HttpServletRequest request() {
    RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
    return attributes instanceof ServletRequestAttributes servlet ? servlet.getRequest() : null;
  }

  private static WebEndpointResponse<Object> ok(Object body) {
    return new WebEndpointResponse<>(body, WebEndpointResponse.STATUS_OK);
  }

  private static WebEndpointResponse<Object> error(int status, String message) {
    return new WebEndpointResponse<>(Map.of("error", message), status);
  }
}
