package io.postline.mail.spring.console;

import io.postline.mail.event.MailEvent;
import io.postline.mail.event.MailListener;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Counts, per provider and per minute, the messages providers accepted ({@code sent}) and the
 * attempts that failed ({@code failed}), over the last few minutes: the console's chart. A
 * {@link MailListener}, so the auto-configured Mailer gets it as a bean; an application that
 * builds its own Mailer adds it with {@code MailerBuilder.listener}.
 *
 * <p>Each provider has a ring buffer of one slot per minute; a slot older than the window is
 * reset when its minute comes round again. Thread-safe; {@link #onEvent} does constant work.
 */
public final class ConsoleThroughput implements MailListener {
  private final Clock clock;
  private final int minutes;
  private final Map<String, Ring> providers = new LinkedHashMap<>();

  /**
   * Keeps {@code minutes} minutes.
   *
   * @param minutes from 1 to 1440
   * @throws IllegalArgumentException if {@code minutes} is out of range
   */
  public ConsoleThroughput(int minutes, Clock clock) {
    if (minutes < 1 || minutes > 1440) {
      throw new IllegalArgumentException("minutes must be from 1 to 1440, was " + minutes);
    }
    this.minutes = minutes;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public void onEvent(MailEvent event) {
    if (event instanceof MailEvent.Sent sent) {
      count(sent.provider(), true);
    } else if (event instanceof MailEvent.AttemptFailed failed) {
      count(failed.provider(), false);
    }
  }

  private void count(String provider, boolean sent) {
    long minute = clock.millis() / 60_000L;
    synchronized (providers) {
      providers.computeIfAbsent(provider, p -> new Ring(minutes)).add(minute, sent);
    }
  }

  /** The counts of the last minutes, the current minute last, for every provider seen so far. */
  public Snapshot snapshot() {
    long now = clock.millis() / 60_000L;
    List<Instant> starts = new ArrayList<>(minutes);
    for (long m = now - minutes + 1; m <= now; m++) {
      starts.add(Instant.ofEpochSecond(m * 60));
    }
    Map<String, Series> series = new LinkedHashMap<>();
    synchronized (providers) {
      providers.forEach((name, ring) -> series.put(name, ring.series(now)));
    }
    return new Snapshot(starts, series);
  }

  /**
   * Counts over a window of minutes.
   *
   * @param minutes the start of each minute, oldest first
   * @param providers each provider's counts, one per minute, aligned with {@code minutes}
   */
  public record Snapshot(List<Instant> minutes, Map<String, Series> providers) {
    /** Copies the lists. */
    public Snapshot {
      minutes = List.copyOf(minutes);
      providers = Map.copyOf(providers);
    }
  }

  /**
   * One provider's counts, one per minute.
   *
   * @param sent messages the provider accepted
   * @param failed attempts that failed at the provider
   */
  public record Series(List<Long> sent, List<Long> failed) {
    /** Copies the lists. */
    public Series {
      sent = List.copyOf(sent);
      failed = List.copyOf(failed);
    }
  }

  /** One slot per minute; {@code minuteOf} says which minute a slot holds. */
  private static final class Ring {
    private final long[] minuteOf;
    private final long[] sent;
    private final long[] failed;

    Ring(int size) {
      minuteOf = new long[size];
      sent = new long[size];
      failed = new long[size];
      java.util.Arrays.fill(minuteOf, -1);
    }

    void add(long minute, boolean ok) {
      int i = (int) Math.floorMod(minute, (long) minuteOf.length);
      if (minuteOf[i] != minute) {
        minuteOf[i] = minute;
        sent[i] = 0;
        failed[i] = 0;
      }
      if (ok) {
        sent[i]++;
      } else {
        failed[i]++;
      }
    }

    Series series(long now) {
      int n = minuteOf.length;
      List<Long> s = new ArrayList<>(n);
      List<Long> f = new ArrayList<>(n);
      for (long m = now - n + 1; m <= now; m++) {
        int i = (int) Math.floorMod(m, (long) n);
        boolean current = minuteOf[i] == m;
        s.add(current ? sent[i] : 0L);
        f.add(current ? failed[i] : 0L);
      }
      return new Series(s, f);
    }
  }
}
