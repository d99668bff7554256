package io.postline.mail.core.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.postline.mail.SendResult;
import io.postline.mail.core.IdempotencyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** {@link IdempotencyStore} in a Caffeine cache: claims expire {@code window} after they were made. */
public final class InMemoryIdempotencyStore implements IdempotencyStore {
  private final Cache<String, Claim> claims;

  /** A store keeping claims for {@code window}, at most {@code maxKeys} of them. */
  public InMemoryIdempotencyStore(Duration window, long maxKeys, Clock clock) {
    Objects.requireNonNull(window, "window");
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("idempotency window must be positive, was " + window);
    }
    Ticker ticker = () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
    this.claims = Caffeine.newBuilder().expireAfterWrite(window).maximumSize(maxKeys).ticker(ticker).build();
  }

  @Override
  public Optional<Claim> claim(String key, String mailId) {
    Claim mine = new Claim(mailId, Optional.empty());
    Claim current = claims.asMap().putIfAbsent(key, mine);
    return Optional.ofNullable(current);
  }

  @Override
  public Optional<Claim> find(String key) {
    return Optional.ofNullable(claims.getIfPresent(key));
  }

  @Override
  public void succeeded(String key, String mailId, SendResult result) {
    // Replacing the value keeps the claim for a full window after the send, which is what
    // callers expect from "sent within the window".
    claims.asMap().computeIfPresent(key, (k, claim) ->
        claim.mailId().equals(mailId) ? new Claim(mailId, Optional.of(result)) : claim);
  }

  @Override
  public void release(String key, String mailId) {
    claims.asMap().computeIfPresent(key, (k, claim) -> claim.mailId().equals(mailId) ? null : claim);
  }
}
