package io.postline.samples.service;

import java.net.URI;
import java.util.Map;
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
  static final URI PAYLOAD_TOO_LARGE = URI.create("urn:postline:email-service:problem:payload-too-large");
  static final URI FORBIDDEN = URI.create("urn:postline:email-service:problem:forbidden");
  static final URI FROM_NOT_ALLOWED = URI.create("urn:postline:email-service:problem:from-not-allowed");
  static final URI METHOD_NOT_ALLOWED = URI.create("urn:postline:email-service:problem:method-not-allowed");
  static final URI NOT_ACCEPTABLE = URI.create("urn:postline:email-service:problem:not-acceptable");
  static final URI UNSUPPORTED_MEDIA_TYPE = URI.create("urn:postline:email-service:problem:unsupported-media-type");
  /** Any other 4xx, so that no client error goes without a type of this service. */
  static final URI CLIENT_ERROR = URI.create("urn:postline:email-service:problem:client-error");

  private static final Map<Integer, URI> BY_STATUS = Map.of(400, INVALID_REQUEST, 401, UNAUTHORIZED, 403, FORBIDDEN,
      404, NOT_FOUND, 405, METHOD_NOT_ALLOWED, 406, NOT_ACCEPTABLE, 413, PAYLOAD_TOO_LARGE, 415,
      UNSUPPORTED_MEDIA_TYPE, 429, RATE_LIMITED);

  private Problems() {}

  /** The type of a 4xx problem that Spring MVC made without one of this service's types. */
  static URI forClientError(int status) {
    return BY_STATUS.getOrDefault(status, CLIENT_ERROR);
  }

  static ProblemDetail of(HttpStatusCode status, URI type, String title, String detail) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
    problem.setType(type);
    problem.setTitle(title);
    return problem;
  }
}
