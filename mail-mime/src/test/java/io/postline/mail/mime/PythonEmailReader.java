package io.postline.mail.mime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Reads {@code .eml} messages back with Python's standard {@code email} package (policy
 * {@code default}), through {@code python_readback.py}: one Python process for a whole batch.
 * The interpreter is {@code python3} on the PATH unless the system property
 * {@value #PYTHON_PROPERTY} names another.
 */
final class PythonEmailReader {
  static final String PYTHON_PROPERTY = "postline.python";
  private static final String SCRIPT = "python_readback.py";

  private PythonEmailReader() {}

  /**
   * Starts reading: what Python read from each message, in order, keyed as in
   * python_readback.py. The messages go to Python and its answer comes back on another thread.
   */
  static CompletableFuture<List<Map<String, String>>> read(List<byte[]> messages) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return readNow(messages);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    });
  }

  private static List<Map<String, String>> readNow(List<byte[]> messages)
      throws IOException, InterruptedException {
    String python = System.getProperty(PYTHON_PROPERTY, "python3");
    Path stderr = Files.createTempFile("python-readback", ".err");
    Process process;
    try {
      // -I: isolated from PYTHON* variables and user site-packages, so only the standard library.
      process = new ProcessBuilder(python, "-I", script().toString())
          .redirectError(stderr.toFile())
          .start();
    } catch (IOException e) {
      throw new AssertionError("cannot run " + python + " (install python3, or name an "
          + "interpreter with -D" + PYTHON_PROPERTY + "=...)", e);
    }
    try {
      // The script reads everything before it writes, so writing first cannot dead-lock.
      try (OutputStream in = process.getOutputStream()) {
        for (byte[] message : messages) {
          in.write((message.length + "\n").getBytes(StandardCharsets.US_ASCII));
          in.write(message);
        }
      }
      byte[] out;
      try (InputStream stdout = process.getInputStream()) {
        out = stdout.readAllBytes();
      }
      if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new AssertionError("the Python reader failed: " + Files.readString(stderr));
      }
      List<Map<String, String>> results = new ArrayList<>(messages.size());
      for (String line : new String(out, StandardCharsets.US_ASCII).split("\n")) {
        results.add(parseLine(line));
      }
      if (results.size() != messages.size()) {
        throw new AssertionError("the Python reader answered " + results.size() + " of "
            + messages.size() + " messages: " + Files.readString(stderr));
      }
      return results;
    } finally {
      process.destroy();
      Files.deleteIfExists(stderr);
    }
  }

  /** {@code key=hex<TAB>key=hex...}: the values are the hex of their UTF-8 bytes. */
  private static Map<String, String> parseLine(String line) {
    Map<String, String> items = new LinkedHashMap<>();
    if (line.isEmpty()) {
      return items;
    }
    for (String item : line.split("\t")) {
      int equals = item.lastIndexOf('=');
      byte[] value = HexFormat.of().parseHex(item, equals + 1, item.length());
      items.put(item.substring(0, equals), new String(value, StandardCharsets.UTF_8));
    }
    return items;
  }

  private static Path script() {
    URL url = PythonEmailReader.class.getResource(SCRIPT);
    if (url == null) {
      throw new AssertionError(SCRIPT + " is not on the test class path");
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException("bad URL " + url, e);
    }
  }
}
