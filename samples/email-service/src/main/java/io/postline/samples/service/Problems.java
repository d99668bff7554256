package io.postline.samples.service;

import java.net.URI;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;

/** The problem types of this service (RFC 9457), each a URN so that clients can switch on it. */
final class Problems {
  static final URI INVALID_REQUEST = URI.create("urn:postline:email-service:problem:invalid-request");
  static final URI INVALID_EMAIL = URI.create("urn:postline:email-service:problem:invalid-email");
  static final URI TEMPLATE = URI.create("urn:postline:email-service:problem:template");
  static final URI UNAUTHORIZED = URI.create("urn:postline:email-service:problem:unauthorized");
  static final URI RATE_LIMITED = URI.create("urn:postline:email-service:problem:rate-limited");
  static final URI NOT_FOUND = URI.create("urn:postline:email-service:problem:not-found");
  static final URI SEND_FAILED = URI.create("urn:postline:email-service:problem:send-failed");
  static final URI QUEUE_FULL = URI.create("urn:postline:email-service:problem:queue-full");

  private Problems() {}

  static ProblemDetail of(HttpStatusCode status, URI type, String title, String detail) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
    problem.setType(type);
    problem.setTitle(title);
    return problem;
  }
}
