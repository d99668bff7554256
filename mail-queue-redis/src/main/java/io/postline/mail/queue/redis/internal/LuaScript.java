package io.postline.mail.queue.redis.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A Lua script with its SHA-1, run with {@code EVALSHA} and loaded with {@code EVAL} when the
 * server does not know it (after a restart or {@code SCRIPT FLUSH}).
 *
 * @param name for error messages
 * @param body the Lua source
 * @param sha its SHA-1 in hex
 */
public record LuaScript(String name, String body, String sha) {

  /** A script from its source. */
  public static LuaScript of(String name, String body) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-1").digest(body.getBytes(StandardCharsets.UTF_8));
      return new LuaScript(name, body, HexFormat.of().formatHex(digest));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is not available", e);
    }
  }

  /** A script from class-path resources next to this class, concatenated in order. */
  public static LuaScript resource(String name, String... files) {
    StringBuilder body = new StringBuilder();
    for (String file : files) {
      try (InputStream in = Objects.requireNonNull(LuaScript.class.getResourceAsStream(file), file)) {
        body.append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the Lua script " + file, e);
      }
    }
    return of(name, body.toString());
  }
}
