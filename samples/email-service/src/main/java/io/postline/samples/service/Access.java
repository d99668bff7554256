package io.postline.samples.service;

import io.postline.mail.event.MailEvent;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** Scope and ownership checks shared by the controllers. */
final class Access {
  private Access() {}

  /** Refuses (403) a caller with none of {@code scopes}. */
  static void requireAny(AuthenticatedCaller caller, Scope... scopes) {
    if (Arrays.stream(scopes).noneMatch(caller::has)) {
      throw new ForbiddenException(Problems.FORBIDDEN, "this needs a token with the "
          + Arrays.stream(scopes).map(s -> s.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(" or "))
          + " scope");
    }
  }

  /** Who asked for the message whose audit trail is {@code events}, if the trail says. */
  static Optional<String> owner(List<MailEvent> events) {
    return events.isEmpty() ? Optional.empty() : events.get(0).caller();
  }

  /** A caller may not do this: a 403 problem of {@code type}. */
  static final class ForbiddenException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient URI type;

    ForbiddenException(URI type, String detail) {
      super(detail);
      this.type = type;
    }

    URI type() {
      return type;
    }
  }
}
