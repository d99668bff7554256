package io.postline.mail.core.internal;

import io.postline.mail.Email;
import io.postline.mail.core.Routing;
import java.util.List;
import java.util.Set;

/** What {@link Routing#roundRobin()} returns: the mailer builder swaps in its providers' weights. */
public final class ByProviderWeights implements Routing {
  /** The one instance. */
  public static final ByProviderWeights INSTANCE = new ByProviderWeights();

  private ByProviderWeights() {}

  @Override
  public List<String> route(Email email, List<String> providers) {
    throw new IllegalStateException("Routing.roundRobin() takes its weights from the mailer's providers: use it as "
        + "the mailer's routing, or Routing.roundRobin(weights) inside rules");
  }

  @Override
  public Set<String> referencedProviders() {
    return Set.of();
  }

  @Override
  public String toString() {
    return "Routing.roundRobin()";
  }
}
