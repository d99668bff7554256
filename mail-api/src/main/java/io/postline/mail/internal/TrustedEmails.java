package io.postline.mail.internal;

import io.postline.mail.Email;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Not API. The way Postline's queue codec rebuilds an {@link Email} that it wrote itself and that
 * came back authenticated (AES-GCM opened it), without {@link Email.Builder#build()} checking
 * every part again: a builder whose setters and {@code build()} skip their checks (addresses and
 * attachments are still built through their own factories, which check them).
 *
 * <p>Only {@link Email} can {@link #install} the source of such builders (once, from its static
 * initializer), and only the queue codec's reader can {@link #access} it: both are checked by the
 * calling class, so an application cannot skip the validation through this class.
 */
public final class TrustedEmails {
  /** The classes that may obtain {@link Access}: the queue codec's email reader. */
  private static final Set<String> READERS = Set.of("io.postline.mail.queue.codec.internal.EmailJson");
  private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
  private static volatile @Nullable Access access;

  private TrustedEmails() {}

  /** The source of builders that skip their checks. */
  @FunctionalInterface
  public interface Access {
    /** A new builder whose setters and {@code build()} do not check what they are given. */
    Email.Builder builder();
  }

  /**
   * Called by {@link Email}'s static initializer, and only there.
   *
   * @throws IllegalStateException if called by another class, or a second time
   */
  public static synchronized void install(Access source) {
    if (WALKER.getCallerClass() != Email.class || access != null) {
      throw new IllegalStateException("only Email installs the trusted builder source, once");
    }
    access = source;
  }

  /**
   * The trusted builder source, for the queue codec's reader only (it asks once and keeps it).
   *
   * @throws IllegalStateException if called by another class
   */
  public static Access access() {
    Class<?> caller = WALKER.getCallerClass();
    if (!READERS.contains(caller.getName()) || !caller.getPackageName().startsWith("io.postline.mail.queue.codec")) {
      throw new IllegalStateException("the trusted email builder is for Postline's queue codec only");
    }
    Email.builder(); // initialises Email, which installs the source
    Access a = access;
    if (a == null) {
      throw new IllegalStateException("Email did not install the trusted builder source");
    }
    return a;
  }
}
