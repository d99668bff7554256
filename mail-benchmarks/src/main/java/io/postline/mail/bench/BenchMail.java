package io.postline.mail.bench;

import io.postline.mail.Email;

/**
 * The message every load scenario sends: an order confirmation with a plain-text and an HTML
 * body, plain ASCII with short lines (so every library writes it as 7bit, without
 * quoted-printable), about 5 KB once written as MIME.
 */
final class BenchMail {
  static final String FROM = "shop@example.org";
  static final String FROM_NAME = "Postline Shop";
  static final String TO = "ann@example.org";
  static final String TO_NAME = "Ann Example";
  static final String SUBJECT = "Your order A-1042 has shipped";
  static final String TEXT = text();
  static final String HTML = html();

  private BenchMail() {}

  /** The message as a Postline email, built (and validated) anew, as an application would per message. */
  static Email email() {
    return email(TO);
  }

  /** The same message to another address (scenario 8 sends to a domain its Postfix discards). */
  static Email email(String to) {
    return Email.builder().from(FROM_NAME + " <" + FROM + ">").to(TO_NAME + " <" + to + ">")
        .subject(SUBJECT).text(TEXT).html(HTML).build();
  }

  private static String text() {
    StringBuilder b = new StringBuilder("Hello Ann,\r\n\r\nthank you for your order A-1042. It left our warehouse today.\r\n\r\n");
    for (int i = 1; b.length() < 2_200; i++) {
      b.append("Item ").append(i).append(": Postline field notebook, dotted, 120 pages ... 1 x 12.90 EUR\r\n");
      b.append("  Ships from Berlin with the tracking number PL-").append(100_000 + i).append("-DE.\r\n");
    }
    return b.append("\r\nKind regards,\r\nthe Postline Shop\r\n").toString();
  }

  private static String html() {
    StringBuilder b = new StringBuilder("<!doctype html>\r\n<html><body style=\"font-family: sans-serif\">\r\n"
        + "<h1>Your order has shipped</h1>\r\n<p>Hello Ann, thank you for your order A-1042.</p>\r\n<table>\r\n");
    for (int i = 1; b.length() < 2_500; i++) {
      b.append("<tr><td>Postline field notebook, dotted</td><td>1</td><td>12.90 EUR</td></tr>\r\n");
      b.append("<tr><td colspan=\"3\">Tracking PL-").append(100_000 + i).append("-DE</td></tr>\r\n");
    }
    return b.append("</table>\r\n<p>Kind regards,<br>the Postline Shop</p>\r\n</body></html>\r\n").toString();
  }
}
