package io.postline.samples.service;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
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
 * Lets a request through only with {@code Authorization: Bearer TOKEN} of a known caller, except
 * {@code /actuator/health}; puts the caller's name in the request attribute {@link #CALLER}; and
 * holds every caller to its rate limit on {@code /v1/**}, answering 429 with {@code Retry-After}.
 */
final class CallerAuthenticationFilter extends OncePerRequestFilter {
  /** The request attribute holding the authenticated caller's name. */
  static final String CALLER = "io.postline.samples.service.caller";

  private final CallerTokens tokens;
  private final CallerRateLimiter limiter;
  private final JsonMapper json;

  CallerAuthenticationFilter(CallerTokens tokens, CallerRateLimiter limiter, JsonMapper json) {
    this.tokens = tokens;
    this.limiter = limiter;
    this.json = json;
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    String path = path(request);
    return path.equals("/actuator/health") || path.startsWith("/actuator/health/");
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    Optional<String> caller = tokens.callerOf(bearerToken(request));
    if (caller.isEmpty()) {
      response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"email-service\"");
      problem(request, response, HttpStatus.UNAUTHORIZED, Problems.UNAUTHORIZED.toString(), "Unauthorized",
          "a valid service token is required: Authorization: Bearer TOKEN");
      return;
    }
    request.setAttribute(CALLER, caller.get());
    if (path(request).startsWith("/v1/")) {
      Optional<Duration> wait = limiter.tryAcquire(caller.get());
      if (wait.isPresent()) {
        long seconds = Math.max(1, (wait.get().toMillis() + 999) / 1000);
        response.setHeader(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
        problem(request, response, HttpStatus.TOO_MANY_REQUESTS, Problems.RATE_LIMITED.toString(), "Too Many Requests",
            "caller " + caller.get() + " is over its rate limit; retry after " + seconds + " s");
        return;
      }
    }
    chain.doFilter(request, response);
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

  private void problem(HttpServletRequest request, HttpServletResponse response, HttpStatus status, String type,
      String title, String detail) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", type);
    body.put("title", title);
    body.put("status", status.value());
    body.put("detail", detail);
    body.put("instance", path(request));
    response.setStatus(status.value());
    response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
    response.getOutputStream().write(json.writeValueAsBytes(body));
  }
}
