package io.postline.samples.service;

import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.SendFailedException;
import io.postline.mail.core.QueueFullException;
import io.postline.mail.core.TemplateException;
import jakarta.validation.ConstraintViolationException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.validation.Errors;
import org.springframework.validation.method.ParameterErrors;
import org.springframework.validation.method.ParameterValidationResult;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Every error as an RFC 9457 problem ({@code application/problem+json}): Spring MVC's own
 * (malformed JSON, wrong method, unknown path) through {@link ResponseEntityExceptionHandler},
 * and the service's with a problem type of its own and, for validation, an {@code errors} list.
 */
@RestControllerAdvice
class ProblemHandler extends ResponseEntityExceptionHandler {

  /**
   * A body that is not JSON, not the JSON this endpoint takes, or missing: {@code invalid-request};
   * one that went past the size limit while it was read: 413 {@code payload-too-large}. The parser's
   * message is left out: it can quote the body.
   */
  @Override
  protected @Nullable ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
      HttpHeaders headers, HttpStatusCode status, WebRequest request) {
    for (Throwable t = ex; t != null; t = t.getCause()) {
      if (t instanceof SizeLimitedRequest.TooLargeException) {
        HttpHeaders close = new HttpHeaders();
        close.addAll(headers);
        close.set(HttpHeaders.CONNECTION, "close");
        return handleExceptionInternal(ex, Problems.of(HttpStatus.CONTENT_TOO_LARGE, Problems.PAYLOAD_TOO_LARGE,
            "Content Too Large", String.valueOf(t.getMessage())), close, HttpStatus.CONTENT_TOO_LARGE, request);
      }
    }
    ProblemDetail problem = Problems.of(HttpStatus.BAD_REQUEST, Problems.INVALID_REQUEST, "Invalid request",
        "the request body is missing, or is not the JSON this endpoint takes");
    problem.setProperty("errors", List.of(error("", "malformed or missing JSON body")));
    return handleExceptionInternal(ex, problem, headers, HttpStatus.BAD_REQUEST, request);
  }

  /** Every other 4xx of Spring MVC's (unknown path, wrong method or media type) with this service's type. */
  @Override
  protected ResponseEntity<Object> handleExceptionInternal(Exception ex, @Nullable Object body, HttpHeaders headers,
      HttpStatusCode statusCode, WebRequest request) {
    // Spring MVC's own exceptions come without a body: theirs is the exception's ProblemDetail
    Object problemBody = body == null && ex instanceof ErrorResponse response ? response.getBody() : body;
    if (problemBody instanceof ProblemDetail problem && statusCode.is4xxClientError()
        && (problem.getType() == null || "about:blank".equals(problem.getType().toString()))) {
      problem.setType(Problems.forClientError(statusCode.value()));
    }
    return super.handleExceptionInternal(ex, body, headers, statusCode, request);
  }

  @Override
  protected @Nullable ResponseEntity<Object> handleMethodArgumentNotValid(MethodArgumentNotValidException ex,
      HttpHeaders headers, HttpStatusCode status, WebRequest request) {
    List<Map<String, String>> errors = new ArrayList<>();
    addErrors(ex.getBindingResult(), errors);
    return handleExceptionInternal(ex, invalidRequest(errors), headers, HttpStatus.BAD_REQUEST, request);
  }

  /** Bean validation of the body and of headers and path variables (Spring MVC's method validation). */
  @Override
  protected @Nullable ResponseEntity<Object> handleHandlerMethodValidationException(HandlerMethodValidationException ex,
      HttpHeaders headers, HttpStatusCode status, WebRequest request) {
    List<Map<String, String>> errors = new ArrayList<>();
    for (ParameterValidationResult result : ex.getParameterValidationResults()) {
      if (result instanceof ParameterErrors parameterErrors) {
        addErrors(parameterErrors, errors);
      } else {
        String name = String.valueOf(result.getMethodParameter().getParameterName());
        result.getResolvableErrors().forEach(e -> errors.add(error(name, e.getDefaultMessage())));
      }
    }
    return handleExceptionInternal(ex, invalidRequest(errors), headers, HttpStatus.BAD_REQUEST, request);
  }

  private static ProblemDetail invalidRequest(List<Map<String, String>> errors) {
    ProblemDetail problem = Problems.of(HttpStatus.BAD_REQUEST, Problems.INVALID_REQUEST, "Invalid request",
        "the request has " + errors.size() + " invalid value(s)");
    problem.setProperty("errors", errors);
    return problem;
  }

  private static void addErrors(Errors source, List<Map<String, String>> errors) {
    source.getFieldErrors().forEach(e -> errors.add(error(e.getField(), e.getDefaultMessage())));
    source.getGlobalErrors().forEach(e -> errors.add(error("", e.getDefaultMessage())));
  }

  private static Map<String, String> error(String field, @Nullable String message) {
    return Map.of("field", field, "message", String.valueOf(message));
  }

  @ExceptionHandler(ConstraintViolationException.class)
  ProblemDetail constraintViolation(ConstraintViolationException e) {
    ProblemDetail problem = Problems.of(HttpStatus.BAD_REQUEST, Problems.INVALID_REQUEST, "Invalid request",
        "the request has " + e.getConstraintViolations().size() + " invalid value(s)");
    problem.setProperty("errors", e.getConstraintViolations().stream()
        .map(v -> Map.of("field", v.getPropertyPath().toString(), "message", v.getMessage())).toList());
    return problem;
  }

  @ExceptionHandler(Access.ForbiddenException.class)
  ProblemDetail forbidden(Access.ForbiddenException e) {
    return Problems.of(HttpStatus.FORBIDDEN, e.type(), "Forbidden", String.valueOf(e.getMessage()));
  }

  @ExceptionHandler(InvalidEmailException.class)
  ProblemDetail invalidEmail(InvalidEmailException e) {
    ProblemDetail problem = Problems.of(HttpStatus.BAD_REQUEST, Problems.INVALID_EMAIL, "Invalid email",
        "the email cannot be sent as it is: " + e.problems().size() + " problem(s)");
    problem.setProperty("errors", e.problems().stream().map(p -> Map.of("message", p)).toList());
    return problem;
  }

  @ExceptionHandler(TemplateException.class)
  ProblemDetail template(TemplateException e) {
    return Problems.of(HttpStatus.UNPROCESSABLE_CONTENT, Problems.TEMPLATE, "Template cannot be rendered",
        String.valueOf(e.getMessage()));
  }

  @ExceptionHandler(EmailController.EmailNotFoundException.class)
  ProblemDetail notFound(EmailController.EmailNotFoundException e) {
    return Problems.of(HttpStatus.NOT_FOUND, Problems.NOT_FOUND, "Not found", String.valueOf(e.getMessage()));
  }

  @ExceptionHandler(QueueFullException.class)
  ResponseEntity<ProblemDetail> queueFull(QueueFullException e) {
    return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, "5")
        .body(Problems.of(HttpStatus.SERVICE_UNAVAILABLE, Problems.QUEUE_FULL, "Queue full",
            "the mail queue is full; retry later"));
  }

  /** No provider accepted the email: 503 (with Retry-After) when trying again can help, 422 when it cannot. */
  @ExceptionHandler(EmailController.DeliveryFailedException.class)
  ResponseEntity<ProblemDetail> deliveryFailed(EmailController.DeliveryFailedException e) {
    SendFailedException failure = e.failure();
    boolean retryable = failure.kind() != FailureKind.PERMANENT && failure.kind() != FailureKind.RECIPIENTS_REJECTED;
    HttpStatus status = retryable ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.UNPROCESSABLE_CONTENT;
    ProblemDetail problem = Problems.of(status, Problems.SEND_FAILED, "Email not sent", String.valueOf(failure.getMessage()));
    problem.setProperty("kind", failure.kind().name());
    problem.setProperty("retryable", retryable);
    if (e.mailId() != null) {
      problem.setProperty("id", e.mailId());
    }
    ResponseEntity.BodyBuilder response = ResponseEntity.status(status);
    if (retryable) {
      Duration after = e.retryAfter();
      response.header(HttpHeaders.RETRY_AFTER, Long.toString(after == null ? 30 : Math.max(1, after.toSeconds())));
    }
    return response.body(problem);
  }
}
