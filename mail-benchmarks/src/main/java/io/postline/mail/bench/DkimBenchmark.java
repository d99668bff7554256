package io.postline.mail.bench;

import io.postline.mail.Email;
import io.postline.mail.mime.DkimSigner;
import io.postline.mail.mime.MimeRenderer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Scenario 6: what DKIM signing adds per message. Each method produces the bytes the SMTP
 * provider sends for a welcome email (subject, 2 KB HTML, text): rendered only (unsigned), or
 * rendered and signed with rsa-sha256 (2048 bits), ed25519-sha256, or both. Bouncy Castle's
 * bcprov is on the class path, so Ed25519 is signed by it, as in an application that has it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class DkimBenchmark {
  private Email email;
  private MimeRenderer renderer;
  private DkimSigner rsa;
  private DkimSigner ed25519;
  private DkimSigner dual;

  @Setup
  public void setUp() throws Exception {
    email = Email.builder().from("Postline Shop <shop@example.org>").to("Ann <ann@example.org>")
        .subject("Welcome to Postline Shop, Ann")
        .html("<html><body><h1>Welcome, Ann</h1>" + "<p>Your Pro plan is ready: account A-1042.</p>".repeat(45)
            + "</body></html>")
        .text("Welcome, Ann\n\n" + "Your Pro plan is ready: account A-1042.\n".repeat(20))
        .build();
    renderer = MimeRenderer.builder().messageIdDomain("example.org").build();
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    PrivateKey rsaKey = generator.generateKeyPair().getPrivate();
    PrivateKey edKey = KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate();
    rsa = DkimSigner.builder().key("example.org", "rsa", rsaKey).build();
    ed25519 = DkimSigner.builder().key("example.org", "ed", edKey).build();
    dual = DkimSigner.builder().key("example.org", "rsa", rsaKey).key("example.org", "ed", edKey).build();
  }

  /**
   * Thread CPU time per message (µs) of rendering, and of each signing on top of it, read from
   * {@link ThreadMXBean}: unlike throughput, it hardly moves with the machine's load, so it is the
   * figure to compare across runs on a shared machine. In order: render, rsa, ed25519, dual.
   */
  static double[] cpuMicros(int rounds) throws Exception {
    DkimBenchmark b = new DkimBenchmark();
    b.setUp();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    List<Supplier<byte[]>> ops = List.of(b::unsigned, b::rsaSha256, b::ed25519Sha256, b::dualSignatures);
    double[] micros = new double[ops.size()];
    for (int pass = 0; pass < 2; pass++) {
      // The first pass warms the JIT up; the second is measured.
      for (int i = 0; i < ops.size(); i++) {
        long start = threads.getCurrentThreadCpuTime();
        for (int n = 0; n < rounds; n++) {
          ops.get(i).get();
        }
        micros[i] = (threads.getCurrentThreadCpuTime() - start) / 1e3 / rounds;
      }
    }
    return micros;
  }

  @Benchmark
  public byte[] unsigned() {
    return renderer.toEml(email);
  }

  @Benchmark
  public byte[] rsaSha256() {
    return rsa.sign(renderer.toEml(email));
  }

  @Benchmark
  public byte[] ed25519Sha256() {
    return ed25519.sign(renderer.toEml(email));
  }

  @Benchmark
  public byte[] dualSignatures() {
    return dual.sign(renderer.toEml(email));
  }
}
