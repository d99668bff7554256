package io.postline.samples.service;

import io.postline.mail.Address;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The caller a request's token belongs to, with what it may do.
 *
 * @param name the caller's name, carried into each email, its events and the statistics
 * @param scopes what the token allows
 * @param allowedFrom the from addresses and domains (lower case) it may send as
 */
record AuthenticatedCaller(String name, Set<Scope> scopes, List<String> allowedFrom) {

  AuthenticatedCaller {
    scopes = Set.copyOf(scopes);
    allowedFrom = allowedFrom.stream().map(s -> s.strip().toLowerCase(Locale.ROOT)).toList();
  }

  /** The caller configured as {@code name}; without allowed senders, only {@code defaultFrom}. */
  static AuthenticatedCaller of(String name, EmailServiceProperties.Caller caller, String defaultFrom) {
    List<String> from = caller.getAllowedFrom().isEmpty() ? List.of(Address.parse(defaultFrom).email())
        : caller.getAllowedFrom();
    for (String entry : from) {
      if (entry.isBlank() || entry.strip().startsWith("@") || entry.strip().endsWith("@")) {
        throw new IllegalStateException("email-service.callers." + name + ".allowed-from has an entry that is "
            + "neither an address (name@example.org) nor a domain (example.org)");
      }
    }
    return new AuthenticatedCaller(name, caller.getScopes(), from);
  }

  /** Whether the token allows {@code scope}. */
  boolean has(Scope scope) {
    return scopes.contains(scope);
  }

  /**
   * Whether it may read what belongs to {@code owner}: its own with the read scope, anyone's with
   * operate.
   */
  boolean mayRead(String owner) {
    return has(Scope.OPERATE) || (has(Scope.READ) && name.equals(owner));
  }

  /** Whether it may requeue or purge what belongs to {@code owner}: its own with send, anyone's with operate. */
  boolean mayAct(String owner) {
    return has(Scope.OPERATE) || (has(Scope.SEND) && name.equals(owner));
  }

  /** Whether it may send as {@code from}: an allowed address, or any address at an allowed domain. */
  boolean maySendAs(Address from) {
    String email = from.email().toLowerCase(Locale.ROOT);
    String domain = email.substring(email.lastIndexOf('@') + 1);
    return allowedFrom.stream().anyMatch(a -> a.contains("@") ? a.equals(email) : a.equals(domain));
  }
}
