package io.postline.mail.core;

import io.postline.mail.Address;
import io.postline.mail.Email;
import io.postline.mail.Priority;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Picks the providers to try for an email, in order. The mailer tries them one after another:
 * a provider whose circuit is open, that is rate limited past the wait bound, or that fails with
 * a kind that {@linkplain io.postline.mail.FailureKind#failsOver() fails over} hands the message
 * to the next one. Because the order is computed for every message, a provider whose circuit
 * closes again is first again at once (fail-back).
 */
public interface Routing {

  /**
   * The providers to try for {@code email}, in order.
   *
   * @param providers every provider of the mailer, in the order they were added
   */
  List<String> route(Email email, List<String> providers);

  /** The provider names this routing refers to, checked against the mailer's when it is built. */
  default Set<String> referencedProviders() {
    return Set.of();
  }

  /** The providers in the order they were added to the mailer. The default routing. */
  static Routing failover() {
    return (email, providers) -> providers;
  }

  /** These providers, in this order. */
  static Routing failover(String... order) {
    List<String> list = List.of(order);
    if (list.isEmpty()) {
      throw new IllegalArgumentException("failover needs at least one provider name");
    }
    return new Routing() {
      @Override
      public List<String> route(Email email, List<String> providers) {
        return list;
      }

      @Override
      public Set<String> referencedProviders() {
        return Set.copyOf(list);
      }
    };
  }

  /**
   * Spreads messages over every provider of the mailer in proportion to the weight each was given
   * in its {@link ProviderOptions#weight(int) options} (1 unless set), as
   * {@link #roundRobin(Map)} does. Taken as the mailer's own routing; inside {@link #rules()},
   * name the weights with {@link #roundRobin(Map)}.
   */
  static Routing roundRobin() {
    return io.postline.mail.core.internal.ByProviderWeights.INSTANCE;
  }

  /**
   * Spreads messages over providers in proportion to their weights (smooth weighted round
   * robin); the providers not picked follow, in the order of the map, as failover.
   *
   * @param weights provider name to a positive weight, such as {@code Map.of("ses", 3, "smtp", 1)}
   */
  static Routing roundRobin(Map<String, Integer> weights) {
    Objects.requireNonNull(weights, "weights");
    if (weights.isEmpty()) {
      throw new IllegalArgumentException("roundRobin needs at least one provider weight");
    }
    weights.forEach((name, weight) -> {
      if (weight == null || weight < 1) {
        throw new IllegalArgumentException("weight of provider " + name + " must be at least 1, was " + weight);
      }
    });
    List<String> names = List.copyOf(new LinkedHashMap<>(weights).keySet());
    int total = weights.values().stream().mapToInt(Integer::intValue).sum();
    int[] cycle = new int[total];
    // Precompute one smooth weighted cycle (as nginx does) so each pick is lock-free.
    int[] current = new int[names.size()];
    for (int slot = 0; slot < total; slot++) {
      int best = 0;
      for (int i = 0; i < names.size(); i++) {
        current[i] += weights.get(names.get(i));
        if (current[i] > current[best]) {
          best = i;
        }
      }
      current[best] -= total;
      cycle[slot] = best;
    }
    AtomicLong counter = new AtomicLong();
    return new Routing() {
      @Override
      public List<String> route(Email email, List<String> providers) {
        int first = cycle[(int) Math.floorMod(counter.getAndIncrement(), (long) total)];
        List<String> order = new ArrayList<>(names.size());
        order.add(names.get(first));
        for (int i = 0; i < names.size(); i++) {
          if (i != first) {
            order.add(names.get(i));
          }
        }
        return order;
      }

      @Override
      public Set<String> referencedProviders() {
        return Set.copyOf(names);
      }
    };
  }

  /**
   * Routes by rules, checked in the order they were added; the first that matches picks the
   * providers, and emails no rule matches go to the fallback.
   *
   * <pre>{@code
   * Routing.rules()
   *     .tag("newsletter", "sendgrid")
   *     .priority(Priority.HIGH, "ses", "smtp")
   *     .domain("example.com", "smtp")
   *     .otherwise(Routing.failover())
   * }</pre>
   */
  static RulesBuilder rules() {
    return new RulesBuilder();
  }

  /** Builds rule-based {@link Routing}. */
  final class RulesBuilder {
    private final List<Predicate<Email>> conditions = new ArrayList<>();
    private final List<List<String>> targets = new ArrayList<>();

    private RulesBuilder() {}

    /** Emails carrying {@code tag} go to {@code providers}, in order. */
    public RulesBuilder tag(String tag, String... providers) {
      Objects.requireNonNull(tag, "tag");
      return when(e -> e.tags().contains(tag), providers);
    }

    /** Emails of {@code priority} go to {@code providers}, in order. */
    public RulesBuilder priority(Priority priority, String... providers) {
      Objects.requireNonNull(priority, "priority");
      return when(e -> e.priority() == priority, providers);
    }

    /** Emails from {@code caller} (see {@link Email#caller()}) go to {@code providers}, in order. */
    public RulesBuilder caller(String caller, String... providers) {
      Objects.requireNonNull(caller, "caller");
      return when(e -> e.caller().filter(caller::equals).isPresent(), providers);
    }

    /**
     * Emails whose every recipient is at {@code domain} (compared in ASCII, case-insensitively)
     * go to {@code providers}, in order.
     */
    public RulesBuilder domain(String domain, String... providers) {
      Objects.requireNonNull(domain, "domain");
      String ascii = Address.of("x@" + domain).domain();
      return when(e -> !e.recipients().isEmpty()
          && e.recipients().stream().map(Address::domain).allMatch(ascii::equals), providers);
    }

    /** Emails matching {@code condition} go to {@code providers}, in order. */
    public RulesBuilder when(Predicate<Email> condition, String... providers) {
      Objects.requireNonNull(condition, "condition");
      if (providers.length == 0) {
        throw new IllegalArgumentException("a routing rule needs at least one provider");
      }
      conditions.add(condition);
      targets.add(List.of(providers));
      return this;
    }

    /** Finishes the rules: emails no rule matches are routed by {@code fallback}. */
    public Routing otherwise(Routing fallback) {
      Objects.requireNonNull(fallback, "fallback");
      List<Predicate<Email>> conds = List.copyOf(conditions);
      List<List<String>> tgts = List.copyOf(targets);
      Set<String> referenced = new LinkedHashSet<>(fallback.referencedProviders());
      tgts.forEach(referenced::addAll);
      Set<String> all = Set.copyOf(referenced);
      return new Routing() {
        @Override
        public List<String> route(Email email, List<String> providers) {
          for (int i = 0; i < conds.size(); i++) {
            if (conds.get(i).test(email)) {
              return tgts.get(i);
            }
          }
          return fallback.route(email, providers);
        }

        @Override
        public Set<String> referencedProviders() {
          return all;
        }

        @Override
        public String toString() {
          return "Routing.rules[" + conds.size() + " rules, otherwise " + fallback + "]";
        }
      };
    }
  }

}
