package io.postline.mail.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A redis-server of the test's own, on a free port, with AOF in a temporary directory, that the
 * test stops and starts again. Needs {@code redis-server} on the PATH (or at REDIS_SERVER).
 */
final class RedisServerProcess implements AutoCloseable {
  private final Path dir;
  private final int port;
  private final List<String> extraArgs;
  private Process process;

  RedisServerProcess(String... extraArgs) throws IOException {
    this.dir = Files.createTempDirectory("postline-redis-");
    this.extraArgs = List.of(extraArgs);
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      this.port = s.getLocalPort();
    }
  }

  int port() {
    return port;
  }

  String url() {
    return "redis://127.0.0.1:" + port;
  }

  static String binary() {
    String configured = System.getenv("REDIS_SERVER");
    if (configured != null && !configured.isBlank()) {
      return configured;
    }
    for (String candidate : List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server")) {
      if (new File(candidate).canExecute()) {
        return candidate;
      }
    }
    return "redis-server";
  }

  /** Starts the server and waits until it answers. */
  void start() throws IOException {
    List<String> command = new java.util.ArrayList<>(List.of(binary(), "--port", Integer.toString(port),
        "--bind", "127.0.0.1", "--appendonly", "yes", "--appendfsync", "always", "--dir", dir.toString(),
        "--save", ""));
    command.addAll(extraArgs);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile());
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new IOException("cannot start redis-server (" + binary() + "); install it (apt-get install"
          + " redis-server) or point REDIS_SERVER at it", e);
    }
    RedisClient probe = RedisClient.create(url());
    try {
      Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
          .ignoreExceptions().until(() -> {
            try (StatefulRedisConnection<String, String> c = probe.connect()) {
              return "PONG".equals(c.sync().ping());
            }
          });
    } finally {
      probe.shutdown();
    }
  }

  /** Stops the server gracefully (SIGTERM: it finishes writing its AOF) and waits for it. */
  void stop() throws InterruptedException {
    process.destroy();
    assertThat(process.waitFor(20, TimeUnit.SECONDS)).as("redis-server stopped").isTrue();
  }

  @Override
  public void close() throws Exception {
    if (process != null && process.isAlive()) {
      process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
    }
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    }
  }
}
