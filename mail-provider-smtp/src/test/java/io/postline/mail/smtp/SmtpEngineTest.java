package io.postline.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.RecipientStatus;
import io.postline.mail.SendResult;
import io.postline.mail.spi.ProviderException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What Postline's own protocol engine does beyond the shared classification table. */
@Timeout(30)
class SmtpEngineTest {
  @RegisterExtension
  final Closer closer = new Closer();

  SmtpProvider provider(int port) {
    return closer.add(SmtpProvider.builder("127.0.0.1").name("engine").port(port).tls(TlsMode.NONE)
        .readTimeout(Duration.ofSeconds(3)).build());
  }

  static Email email(String text, String... to) {
    return Email.builder().from("shop@example.org").to(to).subject("Order").text(text).build();
  }

  /**
   * A server that offers PIPELINING and answers MAIL only once it has read every RCPT and DATA: a
   * client in lock step would wait for the MAIL reply until its read timeout.
   */
  @Test
  void theEnvelopeGoesInOneFlightAndEachRecipientKeepsItsOwnReply() throws Exception {
    ServerSocket listener = closer.add(new ServerSocket(0, 5, InetAddress.getLoopbackAddress()));
    List<String> flight = Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<String> body = CompletableFuture.supplyAsync(() -> {
      try (Socket s = listener.accept()) {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        Lines.write(out, "220 pipelining.example ESMTP");
        assertThat(Lines.read(in)).startsWith("EHLO ");
        Lines.write(out, "250-pipelining.example\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE 100000");
        String line;
        while ((line = Lines.read(in)) != null && !line.equals("DATA")) {
          flight.add(line);
        }
        flight.add(line);
        StringBuilder replies = new StringBuilder("250 2.1.0 Sender OK");
        for (String c : flight) {
          if (c.startsWith("RCPT")) {
            replies.append("\r\n").append(c.contains("carl@") ? "550 5.1.1 <carl@example.org>: no such user"
                : c.contains("dora@") ? "452 4.2.2 <dora@example.org>: mailbox full" : "250 2.1.5 OK");
          }
        }
        Lines.write(out, replies + "\r\n354 End data with <CR><LF>.<CR><LF>");
        StringBuilder data = new StringBuilder();
        String d;
        while ((d = Lines.read(in)) != null && !d.equals(".")) {
          data.append(d).append('\n');
        }
        Lines.write(out, "250 2.0.0 queued as 1");
        return data.toString();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });

    SendResult result = provider(listener.getLocalPort())
        .send(email("Hello\n.hidden line\n..two dots\n.", "ann@example.org", "carl@example.org", "dora@example.org"));

    assertThat(flight).hasSize(5);
    assertThat(flight.get(0)).isEqualTo("MAIL FROM:<shop@example.org> SIZE=" + flight.get(0).split("SIZE=")[1]);
    assertThat(flight.subList(1, 4)).containsExactly("RCPT TO:<ann@example.org>", "RCPT TO:<carl@example.org>",
        "RCPT TO:<dora@example.org>");
    assertThat(flight.get(4)).isEqualTo("DATA");
    assertThat(result.recipients()).extracting(RecipientStatus::isAccepted).containsExactly(true, false, false);
    assertThat(result.recipients().get(1).reason()).hasValueSatisfying(r -> assertThat(r).startsWith("550 5.1.1"));
    assertThat(result.recipients().get(2).reason()).hasValueSatisfying(r -> assertThat(r).startsWith("452 4.2.2"));
    // Dot-stuffed on the wire: every line that starts with a dot gets one more.
    assertThat(body.get(10, TimeUnit.SECONDS)).contains("\nHello\n..hidden line\n...two dots\n..\n");
  }

  @Test
  void aMessageOverTheServersSizeIsRefusedBeforeAnythingIsSent() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    server.extensions("PIPELINING", "SIZE 2500");
    SmtpProvider smtp = provider(server.port());
    smtp.send(email("small", "bob@example.org"));
    // Small enough by its estimate (about 1,400 bytes of UTF-8) to pass the capability check, too
    // large once written: quoted-printable spends 6 bytes on each "é".
    Email large = email("é".repeat(700), "bob@example.org");

    ProviderException e = catchThrowableOfType(ProviderException.class, () -> smtp.send(large));

    assertThat(e).as("thrown").isNotNull();
    assertThat(e.kind()).isEqualTo(FailureKind.PERMANENT);
    assertThat(e.getMessage()).contains("larger than the 2500 bytes").contains("(SIZE)");
    assertThat(server.commands(1).stream().filter(c -> c.startsWith("MAIL"))).hasSize(1);
    assertThat(server.received()).hasSize(1);
  }

  @Test
  void everyRecipientRefusedWithPipeliningEndsTheAcceptedDataEmptyAndResets() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());
    server.extensions("PIPELINING").rcpt(a -> "550 5.1.1 No such user");
    SmtpProvider smtp = provider(server.port());

    ProviderException e = catchThrowableOfType(ProviderException.class,
        () -> smtp.send(email("x", "bob@example.org")));

    assertThat(e.kind()).isEqualTo(FailureKind.RECIPIENTS_REJECTED);
    assertThat(e.recipients()).extracting(RecipientStatus::isAccepted).containsExactly(false);
    server.rcpt(a -> "250 OK");
    smtp.send(email("x", "bob@example.org"));
    assertThat(server.connections()).isEqualTo(1);
    assertThat(server.commands(1)).contains("RSET");
  }

  @Test
  void theDefaultEhloNameIsAFullyQualifiedNameOrAnAddressLiteralNeverLocalhost() throws Exception {
    ScriptedSmtpServer server = closer.add(ScriptedSmtpServer.plain());

    provider(server.port()).send(email("x", "bob@example.org"));

    String ehlo = server.commands(1).get(0);
    assertThat(ehlo).startsWith("EHLO ");
    String name = ehlo.substring(5);
    assertThat(name).isNotEqualToIgnoringCase("localhost")
        .matches(n -> n.startsWith("[") && n.endsWith("]") || n.indexOf('.') > 0, "an FQDN or an address literal");
  }
}
