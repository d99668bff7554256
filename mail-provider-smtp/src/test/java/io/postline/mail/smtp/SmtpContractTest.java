package io.postline.mail.smtp;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.tck.DeliveredMessage;
import io.postline.mail.tck.MailProviderContractTest;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The provider contract against GreenMail, with the provider as users set it up: credentials, so
 * STARTTLS is required; the STARTTLS front terminates TLS with the test certificate, trusted
 * explicitly; tags and metadata not supported (the default). Failures are injected by the front,
 * which answers the chosen command itself, the way a real server would.
 */
@Timeout(60)
class SmtpContractTest extends MailProviderContractTest {
  static final String PASSWORD = "kit-Pa55word!";

  @RegisterExtension
  static final GreenMailExtension GREENMAIL = new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort())
      .withConfiguration(GreenMailConfiguration.aConfig().withUser("kit@example.org", "kit", PASSWORD))
      .withPerMethodLifecycle(true);

  SmtpFront front;

  @BeforeEach
  void startFront() throws Exception {
    front = SmtpFront.startTls(GREENMAIL.getSmtp().getPort(), TestTls.localhostServer());
  }

  @AfterEach
  void stopFront() throws Exception {
    front.close();
  }

  /** The builder the kit's provider is made from; subclasses add settings. */
  protected SmtpProvider.Builder builder() {
    return SmtpProvider.builder("localhost").name("smtp-kit").port(front.port())
        .credentials("kit", PASSWORD)
        .trustedCertificate(TestTls.LOCALHOST_PEM)
        .readTimeout(java.time.Duration.ofSeconds(10));
  }

  @Override
  protected MailProvider createProvider() {
    return builder().build();
  }

  @Override
  protected List<DeliveredMessage> delivered() throws Exception {
    return GreenMailInbox.read(GREENMAIL);
  }

  @Override
  protected boolean arrangeFailure(FailureKind kind, Email email) {
    String mailReply = switch (kind) {
      case TRANSIENT -> "451 4.3.0 Temporary local problem, try again later";
      case RATE_LIMITED -> "450 4.7.1 Too many messages from this account, slow down";
      case PROVIDER_UNAVAILABLE -> "530 5.7.0 Authentication required";
      case PERMANENT -> "554 5.7.1 Message refused by policy";
      case RECIPIENTS_REJECTED -> null;
    };
    front.inject(line -> {
      String upper = line.toUpperCase(java.util.Locale.ROOT);
      if (mailReply != null && upper.startsWith("MAIL FROM:")) {
        return mailReply;
      }
      if (mailReply == null && upper.startsWith("RCPT TO:")) {
        return "550 5.1.1 Recipient address rejected: user unknown";
      }
      return null;
    });
    return true;
  }

  @Override
  protected Set<String> secrets() {
    return Set.of(PASSWORD);
  }
}
