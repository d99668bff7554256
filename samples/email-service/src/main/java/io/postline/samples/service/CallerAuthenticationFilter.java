package io.postline.samples.service;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.json.JsonMapper;

/**
 * The service's front door, for every request but the actuator's health:
 * <ol>
 *   <li>only {@code Authorization: Bearer TOKEN} of a known caller gets in (401 otherwise); the
 *       caller goes in the request attribute {@link #CALLER};</li>
 *   <li>everything outside {@code /v1/} (the actuator, wherever its base path is: the {@code postline}
 *       endpoint with everyone's trails and dead letters, metrics) needs the operate scope (403
 *       otherwise);</li>
 *   <li>every caller is held to its rate limit on {@code /v1/**} (429 with {@code Retry-After});</li>
 *   <li>a body longer than {@code email-service.max-request-size} is refused with 413: at once when its
 *       {@code Content-Length} says so, otherwise as soon as a read goes past the limit;</li>
 *   <li>a 404 that nothing gave a body (an actuator operation that found nothing) gets a
 *       {@code not-found} problem like every other error.</li>
 * </ol>
 */
final class CallerAuthenticationFilter extends OncePerRequestFilter {
  /** The request attribute holding the {@link AuthenticatedCaller}. */
  static final String CALLER = "io.postline.samples.service.caller";

  private final CallerTokens tokens;
  private final CallerRateLimiter limiter;
  private final CallerStatistics statistics;
  private final long maxRequestSize;
  private final String healthPath;
  private final JsonMapper json;

  /**
   * A filter for the service's callers.
   *
   * @param actuatorBasePath {@code management.endpoints.web.base-path}, under which health is open
   */
  CallerAuthenticationFilter(CallerTokens tokens, CallerRateLimiter limiter, CallerStatistics statistics,
      long maxRequestSize, String actuatorBasePath, JsonMapper json) {
    this.healthPath = (actuatorBasePath.endsWith("/") ? actuatorBasePath : actuatorBasePath + "/") + "health";
    this.tokens = tokens;
    this.limiter = limiter;
    this.statistics = statistics;
    this.maxRequestSize = maxRequestSize;
    this.json = json;
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    String path = path(request);
    return path.equals(healthPath) || path.startsWith(healthPath + "/");
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String token = bearerToken(request);
    Optional<AuthenticatedCaller> authenticated = tokens.callerOf(token);
    if (authenticated.isEmpty()) {
      response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"email-service\"");
      problem(request, response, HttpStatus.UNAUTHORIZED, Problems.UNAUTHORIZED, "Unauthorized",
          tokens.refusesAsDevToken(token)
              ? "development tokens (" + CallerTokens.DEV_PREFIX + ") are accepted with the dev or demo profile only"
              : "a valid service token is required: Authorization: Bearer TOKEN");
      return;
    }
    AuthenticatedCaller caller = authenticated.get();
    request.setAttribute(CALLER, caller);
    String path = path(request);
    if (!path.startsWith("/v1/") && !caller.has(Scope.OPERATE)) {
      problem(request, response, HttpStatus.FORBIDDEN, Problems.FORBIDDEN, "Forbidden",
          "outside /v1/ (the actuator shows every caller's emails and dead letters) a token needs the operate scope");
      return;
    }
    if (path.startsWith("/v1/")) {
      Optional<Duration> wait = limiter.tryAcquire(caller.name());
      if (wait.isPresent()) {
        statistics.rateLimited(caller.name());
        long seconds = Math.max(1, (wait.get().toMillis() + 999) / 1000);
        response.setHeader(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
        problem(request, response, HttpStatus.TOO_MANY_REQUESTS, Problems.RATE_LIMITED, "Too Many Requests",
            "caller " + caller.name() + " is over its rate limit; retry after " + seconds + " s");
        return;
      }
    }
    if (request.getContentLengthLong() > maxRequestSize) {
      // refused before a byte of the body is read; the connection is closed rather than drained
      response.setHeader(HttpHeaders.CONNECTION, "close");
      problem(request, response, HttpStatus.CONTENT_TOO_LARGE, Problems.PAYLOAD_TOO_LARGE, "Content Too Large",
          tooLarge(maxRequestSize));
      return;
    }
    BodyTracking tracked = new BodyTracking(response);
    chain.doFilter(new SizeLimitedRequest(request, maxRequestSize), tracked);
    if (tracked.getStatus() == HttpStatus.NOT_FOUND.value() && !tracked.bodyStarted && !response.isCommitted()) {
      // An actuator operation that found nothing (/actuator/postline/{unknown id}) answers 404 without a body.
      problem(request, response, HttpStatus.NOT_FOUND, Problems.NOT_FOUND, "Not Found",
          "nothing is at " + path(request));
    }
  }

  /** Notes whether anything began the body (or an error page), so that an empty 404 can get a problem. */
  private static final class BodyTracking extends HttpServletResponseWrapper {
    private boolean bodyStarted;

    BodyTracking(HttpServletResponse response) {
      super(response);
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
      bodyStarted = true;
      return super.getOutputStream();
    }

    @Override
    public PrintWriter getWriter() throws IOException {
      bodyStarted = true;
      return super.getWriter();
    }

    @Override
    public void sendError(int status, String message) throws IOException {
      bodyStarted = true;
      super.sendError(status, message);
    }

    @Override
    public void sendError(int status) throws IOException {
      bodyStarted = true;
      super.sendError(status);
    }
  }

  /** The detail of a 413 problem. */
  static String tooLarge(long limit) {
    return "the request body is larger than the " + limit + " bytes this service takes";
  }

  private static String bearerToken(HttpServletRequest request) {
    String header = request.getHeader(HttpHeaders.AUTHORIZATION);
    if (header == null || !header.toLowerCase(Locale.ROOT).startsWith("bearer ")) {
      return "";
    }
    return header.substring("bearer ".length()).strip();
  }

  private static String path(HttpServletRequest request) {
    return request.getRequestURI().substring(request.getContextPath().length());
  }

  private void problem(HttpServletRequest request, HttpServletResponse response, HttpStatus status, URI type,
      String title, String detail) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", type.toString());
    body.put("title", title);
    body.put("status", status.value());
    body.put("detail", detail);
    body.put("instance", path(request));
    byte[] bytes = json.writeValueAsBytes(body);
    response.setStatus(status.value());
    response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
    response.setContentLength(bytes.length);
    response.getOutputStream().write(bytes);
    response.flushBuffer();
  }
}
