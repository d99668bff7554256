package io.postline.mail.smtp.internal;

import io.postline.mail.Address;
import io.postline.mail.smtp.DeliveryNotify;
import io.postline.mail.smtp.DeliveryReturn;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The Delivery Status Notification parameters (RFC 3461) a provider asks for: NOTIFY and ORCPT on
 * every RCPT, RET and ENVID on every MAIL. Sent only to servers that offer DSN; for the others they
 * are left out, with one WARN per provider.
 */
public final class DsnRequest {
  /** RFC 3461 4.4: an ENVID is at most 100 characters. */
  private static final int MAX_ENVID = 100;

  private final Set<DeliveryNotify> notify;
  private final @Nullable DeliveryReturn ret;
  private final AtomicBoolean warned = new AtomicBoolean();

  /**
   * @param notify when to notify, empty for the server's default
   * @param ret how much to return, or null for the server's default
   * @throws IllegalArgumentException if NEVER is combined with another value
   */
  public DsnRequest(Set<DeliveryNotify> notify, @Nullable DeliveryReturn ret) {
    if (notify.contains(DeliveryNotify.NEVER) && notify.size() > 1) {
      throw new IllegalArgumentException("deliveryNotify NEVER cannot be combined with SUCCESS, FAILURE or DELAY, was "
          + notify);
    }
    this.notify = notify.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(notify));
    this.ret = ret;
  }

  /** The NOTIFY value ({@code FAILURE,DELAY}), if one was asked for. */
  java.util.Optional<String> notifyValue() {
    return notify.isEmpty() ? java.util.Optional.empty()
        : java.util.Optional.of(notify.stream().sorted().map(Enum::name).collect(Collectors.joining(",")));
  }

  /** The RET value ({@code FULL} or {@code HDRS}), if one was asked for. */
  java.util.Optional<String> retValue() {
    return ret == null ? java.util.Optional.empty()
        : java.util.Optional.of(ret == DeliveryReturn.FULL ? "FULL" : "HDRS");
  }

  /** Whether this is the first time a server without DSN was met (so the WARN is logged once). */
  boolean firstMissingDsn() {
    return warned.compareAndSet(false, true);
  }

  /** {@code RET=... ENVID=...} for MAIL FROM, with a leading space; ENVID is the Message-ID. */
  String mailParameters(String messageId) {
    StringBuilder b = new StringBuilder();
    retValue().ifPresent(v -> b.append(" RET=").append(v));
    String id = messageId.startsWith("<") && messageId.endsWith(">") ? messageId.substring(1, messageId.length() - 1)
        : messageId;
    String envid = xtext(id);
    if (envid.length() > MAX_ENVID) {
      int at = id.lastIndexOf('@');
      envid = xtext(at > 0 ? id.substring(0, at) : id);
    }
    if (!id.isEmpty() && envid.length() <= MAX_ENVID) {
      b.append(" ENVID=").append(envid);
    }
    return b.toString();
  }

  /**
   * {@code NOTIFY=... ORCPT=rfc822;...} for RCPT TO, with a leading space. An internationalized
   * address gets no ORCPT: its {@code utf-8} form (RFC 6533) is not written.
   */
  String rcptParameters(Address recipient) {
    StringBuilder b = new StringBuilder();
    notifyValue().ifPresent(v -> b.append(" NOTIFY=").append(v));
    if (!recipient.isInternationalized()) {
      b.append(" ORCPT=rfc822;").append(xtext(recipient.asciiEmail()));
    }
    return b.toString();
  }

  /** RFC 3461 4: printable ASCII but {@code +} and {@code =} as is, everything else {@code +HH}. */
  static String xtext(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if (c >= 33 && c <= 126 && c != '+' && c != '=') {
        b.append((char) c);
      } else {
        b.append('+').append(String.format("%02X", c));
      }
    }
    return b.toString();
  }

  /** Names the settings. */
  @Override
  public String toString() {
    return "DsnRequest[notify=" + notify + ", ret=" + ret + "]";
  }
}
