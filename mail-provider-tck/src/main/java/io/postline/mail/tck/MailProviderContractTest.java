package io.postline.mail.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.postline.mail.Address;
import io.postline.mail.Attachment;
import io.postline.mail.Email;
import io.postline.mail.FailureKind;
import io.postline.mail.InvalidEmailException;
import io.postline.mail.SendResult;
import io.postline.mail.spi.Capabilities;
import io.postline.mail.spi.MailProvider;
import io.postline.mail.spi.ProviderException;
import io.postline.mail.spi.SendOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The contract every {@link MailProvider} keeps, as a JUnit Jupiter test class to extend (in the
 * spirit of Micrometer's {@code MeterRegistryCompatibilityKit}).
 *
 * <p>A provider module adds {@code mail-provider-tck} as a test dependency and writes one class:
 *
 * <pre>{@code
 * class SendGridContractTest extends MailProviderContractTest {
 *   @RegisterExtension
 *   static WireMockExtension wire = WireMockExtension.newInstance()
 *       .options(wireMockConfig().dynamicPort()).build();
 *
 *   @Override protected MailProvider createProvider() { ... point the provider at wire ... }
 *   @Override protected List<DeliveredMessage> delivered() { ... parse wire's requests ... }
 *   @Override protected boolean arrangeFailure(FailureKind kind, Email email) { ... stub ... }
 * }
 * }</pre>
 *
 * <p>The kit sends plain text, HTML with text, attachments, inline images, UTF-8 subjects and
 * display names, reply-to, cc and bcc, custom headers, tags, metadata, a scheduled send and a
 * batch, and checks what the peer received; it arranges each {@link FailureKind} and checks the
 * classification. Nothing is skipped: where {@link MailProvider#capabilities()} says a feature is
 * missing (no attachments, no tags, a tag or recipient limit, a size limit), the kit sends it
 * anyway and expects an {@link InvalidEmailException} that names the provider and the feature,
 * with nothing reaching the peer. Providers get this by calling
 * {@link Capabilities#check(Email, String) capabilities().check(email, name())} before anything
 * else in {@code send}.
 *
 * <p>Scheduling is the one feature that is never an error: a provider without native scheduling
 * sends a message with {@code sendAt} at once (the queue is what holds it until it is due), and
 * the kit expects exactly that.
 *
 * <p>The provider is created lazily, on the first call of {@link #provider()}, so a subclass's own
 * {@code @BeforeEach} methods and extensions (a WireMock server, a GreenMail server) are ready by
 * then; it is closed after each test.
 */
public abstract class MailProviderContractTest {
  /** The tags, metadata keys and values the kit uses are plain {@code [A-Za-z0-9_-]}. */
  private static final List<String> TAGS = List.of("welcome", "onboarding");

  private @Nullable MailProvider provider;

  /** For subclasses. */
  protected MailProviderContractTest() {}

  // ---------------------------------------------------------------------------------------------
  // Hooks

  /**
   * Creates the provider under test, pointed at a peer the test controls (WireMock, GreenMail,
   * an in-memory outbox). Called once per test, on first use; the kit closes it after the test.
   *
   * @throws Exception if the provider cannot be created; the test fails
   */
  protected abstract MailProvider createProvider() throws Exception;

  /**
   * What the peer received since the test started, normalized, one entry per message it would
   * deliver, oldest first. Called after {@code send} or {@code sendBatch} returned or threw, so a
   * synchronous peer needs no waiting; an asynchronous one waits here until it is settled.
   *
   * <p>A request that carries several messages (SendGrid personalizations, Mailgun recipient
   * variables) is one entry per message, with its substitutions applied. A request the peer
   * answered with an error is not a delivered message and must not be listed.
   *
   * @throws Exception if the peer cannot be read; the test fails
   */
  protected abstract List<DeliveredMessage> delivered() throws Exception;

  /**
   * Arranges that the next {@code send} of {@code email} fails the way this provider's peer
   * signals {@code kind}: an HTTP status and body, an SMTP reply, an API error code, an I/O
   * failure, a timeout. Only the arrangement is made here; the kit sends and checks that the
   * resulting {@link ProviderException} has this kind and names this provider.
   *
   * @param kind the classification the failure must get
   * @param email the email the kit will send, for peers that reject particular recipients
   * @return false when this provider has no way to produce {@code kind} (an HTTP API that never
   *     rejects recipients one by one, say); the kit then checks that the send still succeeds
   * @throws Exception if the arrangement fails; the test fails
   */
  protected abstract boolean arrangeFailure(FailureKind kind, Email email) throws Exception;

  /**
   * The sender the kit uses; override when the peer accepts only certain senders (a verified
   * domain, say).
   */
  protected Address sender() {
    return Address.of("kit@example.org", "Postline Kit");
  }

  /**
   * Secrets the provider was created with (API keys, passwords, secret keys). The kit checks that
   * none of them appears in {@code toString()} of the provider or its capabilities, nor in the
   * message, {@code toString()} or causes of any {@link ProviderException} it provokes.
   */
  protected Set<String> secrets() {
    return Set.of();
  }

  /** The provider under test, created by {@link #createProvider()} on first use. */
  protected final MailProvider provider() {
    MailProvider p = provider;
    if (p == null) {
      try {
        p = createProvider();
      } catch (Exception e) {
        throw new AssertionError("createProvider() failed: " + e, e);
      }
      assertThat(p).as("createProvider()").isNotNull();
      provider = p;
    }
    return p;
  }

  /** A builder with the kit's sender and one recipient; add a subject and a body. */
  protected Email.Builder email() {
    return Email.builder().from(sender()).to(Address.of("ann@example.org", "Ann Example"));
  }

  /** Closes the provider created for the test, if any. */
  @AfterEach
  void closeProvider() throws Exception {
    MailProvider p = provider;
    provider = null;
    if (p != null) {
      p.close();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Content

  @Test
  @DisplayName("plain text: sender, recipient, subject and text arrive; no HTML, no attachments")
  void sendsPlainText() throws Exception {
    Email email = email().subject("Plain text").text("Hello Ann,\nthis is plain text.\n").build();

    SendResult result = provider().send(email);

    assertAccepted(result, email);
    DeliveredMessage m = single();
    assertThat(m.from()).as("from").isEqualTo(email.from());
    assertThat(m.to()).as("to").containsExactlyElementsOf(email.to());
    assertThat(m.cc()).as("cc").isEmpty();
    assertThat(m.bcc()).as("bcc").isEmpty();
    assertThat(m.subject()).as("subject").isEqualTo("Plain text");
    assertThat(m.text().map(MailProviderContractTest::normalize)).as("text")
        .contains("Hello Ann,\nthis is plain text.");
    assertThat(m.html()).as("html").isEmpty();
    assertThat(m.attachments()).as("attachments").isEmpty();
    assertThat(m.sendAt()).as("sendAt").isEmpty();
  }

  @Test
  @DisplayName("HTML and text: both bodies arrive")
  void sendsHtmlAndText() throws Exception {
    String html = "<html><body><h1>Hello Ann</h1><p>This is <b>HTML</b>.</p></body></html>";
    Email email = email().subject("HTML and text").text("Hello Ann, this is text.").html(html).build();

    assertAccepted(provider().send(email), email);

    DeliveredMessage m = single();
    assertThat(m.text().map(MailProviderContractTest::normalize)).as("text").contains("Hello Ann, this is text.");
    assertThat(m.html().map(MailProviderContractTest::normalize)).as("html").contains(html);
  }

  @Test
  @DisplayName("HTML only: the HTML body arrives and no text body is invented")
  void sendsHtmlOnly() throws Exception {
    String html = "<p>Only <i>HTML</i></p>";
    Email email = email().subject("HTML only").html(html).build();

    assertAccepted(provider().send(email), email);

    DeliveredMessage m = single();
    assertThat(m.html().map(MailProviderContractTest::normalize)).as("html").contains(html);
    assertThat(m.text().filter(t -> !t.isBlank())).as("text").isEmpty();
  }

  @Test
  @DisplayName("attachments arrive byte for byte with name and type, or the provider refuses them by name")
  void sendsAttachments() throws Exception {
    byte[] binary = new byte[3000];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) (i * 31 + 7);
    }
    byte[] csv = "name;city\nZoë;Köln\n".getBytes(StandardCharsets.UTF_8);
    Email email = email().subject("Attachments").text("Two files attached.")
        .attach(Attachment.of("report.pdf", binary, "application/pdf"))
        .attach(Attachment.of("données.csv", csv, "text/csv"))
        .build();

    if (!provider().capabilities().attachments()) {
      assertUnsupported(email, "attachments");
      return;
    }
    assertAccepted(provider().send(email), email);

    List<DeliveredAttachment> files = single().attachments();
    assertThat(files).as("attachments").hasSize(2);
    assertThat(files.get(0).fileName()).isEqualTo("report.pdf");
    assertThat(files.get(0).baseType()).isEqualTo("application/pdf");
    assertThat(files.get(0).content()).isEqualTo(binary);
    assertThat(files.get(0).isInline()).isFalse();
    assertThat(files.get(1).fileName()).isEqualTo("données.csv");
    assertThat(files.get(1).baseType()).isEqualTo("text/csv");
    assertThat(files.get(1).content()).isEqualTo(csv);
    assertThat(files.get(1).isInline()).isFalse();
  }

  @Test
  @DisplayName("inline images arrive with their content id, referenced from the HTML")
  void sendsInlineImages() throws Exception {
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 1, 2, 3};
    Email email = email().subject("Inline image")
        .text("See the logo.")
        .html("<p>Our logo: <img src=\"cid:logo\" alt=\"logo\"></p>")
        .attach(Attachment.inline("logo", png, "image/png"))
        .build();

    if (!provider().capabilities().attachments()) {
      assertUnsupported(email, "attachments");
      return;
    }
    assertAccepted(provider().send(email), email);

    DeliveredMessage m = single();
    assertThat(m.html()).get().asString().contains("cid:logo");
    assertThat(m.attachments()).as("inline parts").hasSize(1);
    DeliveredAttachment logo = m.attachments().get(0);
    assertThat(logo.contentId()).as("content id").contains("logo");
    assertThat(logo.baseType()).isEqualTo("image/png");
    assertThat(logo.content()).isEqualTo(png);
  }

  @Test
  @DisplayName("UTF-8 subject, display names, body and an internationalized domain arrive intact")
  void sendsUtf8() throws Exception {
    String subject = "Grüße aus Köln – 日本語 ✉ 😀";
    Address from = Address.of(sender().email(), "Zoë Straße");
    Address to = Address.of("ann@example.org", "Łukasz Żółć, Jr.");
    Address idn = Address.of("anna@bücher.example", "Anna Müller");
    Email email = Email.builder().from(from).to(to, idn)
        .subject(subject).text("Grüße, 😀 – ça va?").html("<p>Grüße, 😀 – ça va?</p>").build();

    assertAccepted(provider().send(email), email);

    DeliveredMessage m = single();
    assertThat(m.subject()).as("subject").isEqualTo(subject);
    assertThat(m.from()).as("from").isEqualTo(from);
    assertThat(m.from().name()).contains("Zoë Straße");
    assertThat(m.to()).as("to").containsExactly(to, idn);
    assertThat(m.to().get(0).name()).contains("Łukasz Żółć, Jr.");
    assertThat(m.text().map(MailProviderContractTest::normalize)).contains("Grüße, 😀 – ça va?");
    assertThat(m.html().map(MailProviderContractTest::normalize)).contains("<p>Grüße, 😀 – ça va?</p>");
  }

  // ---------------------------------------------------------------------------------------------
  // Envelope and headers

  @Test
  @DisplayName("reply-to addresses arrive, display names included")
  void sendsReplyTo() throws Exception {
    Email email = email().subject("Reply-to").text("Reply to us.")
        .replyTo("Support <support@example.org>", "help@example.org").build();

    assertAccepted(provider().send(email), email);

    assertThat(single().replyTo()).as("reply-to")
        .containsExactly(Address.of("support@example.org", "Support"), Address.of("help@example.org"));
  }

  @Test
  @DisplayName("to, cc and bcc arrive each in their place, and every recipient is accepted")
  void sendsCcAndBcc() throws Exception {
    Email email = email().subject("Cc and bcc").text("Copies.")
        .cc("Bob <bob@example.org>").bcc("carol@example.org", "dave@example.org").build();

    SendResult result = provider().send(email);

    assertAccepted(result, email);
    DeliveredMessage m = single();
    assertThat(m.to()).as("to").containsExactlyElementsOf(email.to());
    assertThat(m.cc()).as("cc").containsExactly(Address.of("bob@example.org", "Bob"));
    assertThat(m.bcc()).as("bcc")
        .containsExactlyInAnyOrder(Address.of("carol@example.org"), Address.of("dave@example.org"));
  }

  @Test
  @DisplayName("custom headers arrive with their values")
  void sendsCustomHeaders() throws Exception {
    Email email = email().subject("Headers").text("With headers.")
        .header("X-Campaign", "spring-2025").header("X-Kit-Trace", "trace 42; ok").build();

    assertAccepted(provider().send(email), email);

    DeliveredMessage m = single();
    assertThat(m.header("X-Campaign")).as("X-Campaign").contains("spring-2025");
    assertThat(m.header("X-Kit-Trace")).as("X-Kit-Trace").contains("trace 42; ok");
  }

  // ---------------------------------------------------------------------------------------------
  // Provider features

  @Test
  @DisplayName("tags arrive, or the provider refuses them by name")
  void sendsTags() throws Exception {
    Email.Builder b = email().subject("Tags").text("Tagged.");
    TAGS.forEach(b::tag);
    Email email = b.build();
    Capabilities caps = provider().capabilities();

    if (!caps.tags() || caps.maxTags() < TAGS.size()) {
      assertUnsupported(email, "tags");
      return;
    }
    assertAccepted(provider().send(email), email);

    assertThat(single().tags()).as("tags").containsExactlyInAnyOrderElementsOf(TAGS);
  }

  @Test
  @DisplayName("one tag more than the provider's limit is refused by name; within the limit they arrive")
  void enforcesTagLimit() throws Exception {
    Capabilities caps = provider().capabilities();
    int count = caps.tags() && caps.maxTags() <= 1000 ? caps.maxTags() + 1 : 12;
    Email.Builder b = email().subject("Many tags").text("Tagged.");
    for (int i = 1; i <= count; i++) {
      b.tag("tag-" + i);
    }
    Email email = b.build();

    if (!caps.tags() || count > caps.maxTags()) {
      assertUnsupported(email, "tags");
      return;
    }
    assertAccepted(provider().send(email), email);
    assertThat(single().tags()).as("tags").hasSize(count);
  }

  @Test
  @DisplayName("metadata arrives, or the provider refuses it by name")
  void sendsMetadata() throws Exception {
    Email email = email().subject("Metadata").text("With metadata.")
        .metadata("userId", "42").metadata("plan", "gold").build();

    if (!provider().capabilities().metadata()) {
      assertUnsupported(email, "metadata");
      return;
    }
    assertAccepted(provider().send(email), email);

    assertThat(single().metadata()).as("metadata").containsEntry("userId", "42").containsEntry("plan", "gold");
  }

  @Test
  @DisplayName("sendAt is passed on by a provider that schedules natively, and sent at once by one that does not")
  void sendsScheduled() throws Exception {
    Instant at = Instant.now().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);
    Email email = email().subject("Scheduled").text("Later.").sendAt(at).build();

    assertAccepted(provider().send(email), email);

    DeliveredMessage m = single();
    if (provider().capabilities().scheduling()) {
      assertThat(m.sendAt()).as("sendAt of a provider with native scheduling").contains(at);
    } else {
      assertThat(m.sendAt()).as("sendAt of a provider without native scheduling").isEmpty();
    }
  }

  @Test
  @DisplayName("sendBatch: one outcome per email, in order, each message delivered")
  void sendsBatch() throws Exception {
    List<Email> emails = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      emails.add(Email.builder().from(sender()).to(Address.of("user" + i + "@example.org", "User " + i))
          .subject("Batch " + i).text("Hello user " + i).build());
    }

    List<SendOutcome> outcomes = provider().sendBatch(emails);

    assertThat(outcomes).as("outcomes").hasSize(3);
    for (int i = 0; i < 3; i++) {
      SendOutcome outcome = outcomes.get(i);
      assertThat(outcome.email()).as("outcome " + i + " email").isSameAs(emails.get(i));
      assertThat(outcome.failure()).as("outcome " + i + " failure").isEmpty();
      assertAccepted(outcome.result().orElseThrow(), emails.get(i));
    }
    List<DeliveredMessage> delivered = delivered();
    assertThat(delivered).as("delivered").hasSize(3);
    for (int i = 1; i <= 3; i++) {
      Address to = Address.of("user" + i + "@example.org", "User " + i);
      String subject = "Batch " + i;
      String text = "Hello user " + i;
      assertThat(delivered).as("message to user " + i)
          .anySatisfy(m -> {
            assertThat(m.to()).containsExactly(to);
            assertThat(m.subject()).isEqualTo(subject);
            assertThat(m.text().map(MailProviderContractTest::normalize)).contains(text);
          });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Limits

  @Test
  @DisplayName("one recipient more than the provider's limit is refused, pointing to sendBatch")
  void enforcesRecipientLimit() throws Exception {
    Capabilities caps = provider().capabilities();
    int count = caps.maxRecipients() <= 10_000 ? caps.maxRecipients() + 1 : 60;
    Email.Builder b = email().subject("Many recipients").text("Hello all.");
    for (int i = 1; i < count; i++) {
      b.bcc("rcpt" + i + "@example.org");
    }
    Email email = b.build();

    if (count > caps.maxRecipients()) {
      InvalidEmailException e = assertUnsupported(email, "recipients");
      assertThat(e.getMessage()).contains("sendBatch");
      return;
    }
    assertAccepted(provider().send(email), email);
    assertThat(single().recipients()).hasSize(count);
  }

  @Test
  @DisplayName("a message over the provider's size limit is refused before anything is sent")
  void enforcesSizeLimit() throws Exception {
    Capabilities caps = provider().capabilities();
    boolean limited = caps.maxMessageBytes() <= 100L * 1024 * 1024;
    int size = limited ? (int) caps.maxMessageBytes() : 1024 * 1024;
    Email email = email().subject("Large").text("x".repeat(size)).build();

    if (limited) {
      assertUnsupported(email, "bytes");
      return;
    }
    assertAccepted(provider().send(email), email);
    assertThat(single().text()).get().asString().hasSizeGreaterThanOrEqualTo(size);
  }

  // ---------------------------------------------------------------------------------------------
  // Failures

  @ParameterizedTest(name = "{0}")
  @EnumSource(FailureKind.class)
  @DisplayName("each kind of failure the peer signals is classified as that kind, naming the provider")
  void classifiesFailure(FailureKind kind) throws Exception {
    Email email = email().subject("Failure " + kind).text("This send is meant to fail.").build();
    MailProvider p = provider();

    if (!arrangeFailure(kind, email)) {
      assertAccepted(p.send(email), email);
      return;
    }
    Throwable thrown = catchThrowable(() -> p.send(email));

    assertThat(thrown).as("what send threw").isInstanceOf(ProviderException.class);
    ProviderException e = (ProviderException) thrown;
    assertThat(e.kind()).as("kind of " + e).isEqualTo(kind);
    assertThat(e.provider()).as("provider named in " + e).isEqualTo(p.name());
    assertThat(e.getMessage()).as("message").isNotBlank();
    assertNoSecrets(e);
    assertThat(delivered()).as("delivered after a failed send").isEmpty();
  }

  @Test
  @DisplayName("toString of the provider and its capabilities shows no secret")
  void hidesSecrets() {
    MailProvider p = provider();
    assertThat(p.name()).as("name").isNotBlank();
    for (String secret : secrets()) {
      assertThat(p.toString()).as("provider toString").doesNotContain(secret);
      assertThat(p.capabilities().toString()).as("capabilities toString").doesNotContain(secret);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /**
   * Checks that {@code result} comes from the provider under test, has a message id and accepts
   * every recipient of {@code email}.
   */
  protected void assertAccepted(SendResult result, Email email) {
    assertThat(result.provider()).as("result provider").isEqualTo(provider().name());
    assertThat(result.messageId()).as("message id").isNotBlank();
    assertThat(result.rejected()).as("rejected recipients").isEmpty();
    assertThat(result.accepted()).as("accepted recipients")
        .containsExactlyInAnyOrderElementsOf(email.recipients());
  }

  /**
   * Checks that sending {@code email} fails with an {@link InvalidEmailException} naming the
   * provider and {@code feature}, and that nothing reached the peer.
   */
  protected InvalidEmailException assertUnsupported(Email email, String feature) throws Exception {
    MailProvider p = provider();
    Throwable thrown = catchThrowable(() -> p.send(email));
    assertThat(thrown).as("sending a message that exceeds the capabilities")
        .isInstanceOf(InvalidEmailException.class);
    InvalidEmailException e = (InvalidEmailException) thrown;
    assertThat(e.getMessage()).as("message names the provider").contains(p.name());
    assertThat(e.getMessage()).as("message names the feature").contains(feature);
    assertThat(delivered()).as("delivered after a refused send").isEmpty();
    return e;
  }

  /** Checks that no secret appears in the exception, its {@code toString()} or its causes. */
  protected void assertNoSecrets(Throwable thrown) {
    SecretChecks.assertNoSecrets(thrown, secrets());
  }

  private DeliveredMessage single() throws Exception {
    List<DeliveredMessage> all = delivered();
    assertThat(all).as("messages the peer received").hasSize(1);
    return all.get(0);
  }

  /**
   * A body as the kit compares it: CRLF turned into LF and trailing line breaks dropped, which is
   * all a MIME round trip may change.
   */
  protected static String normalize(String text) {
    String s = text.replace("\r\n", "\n");
    int end = s.length();
    while (end > 0 && s.charAt(end - 1) == '\n') {
      end--;
    }
    return s.substring(0, end);
  }
}
