package io.postline.mail.queue.redis.internal;

import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * One connection (standalone or cluster) with the commands the module uses and script helpers.
 *
 * @param <K> the key type: {@code String}, or {@code byte[]} for a caller that encodes its key
 *     names once (the queue)
 */
public final class RedisLink<K> implements AutoCloseable {
  private final StatefulConnection<K, byte[]> connection;
  private final RedisClusterCommands<K, byte[]> sync;
  private final RedisClusterAsyncCommands<K, byte[]> async;

  RedisLink(StatefulConnection<K, byte[]> connection) {
    this.connection = connection;
    if (connection instanceof StatefulRedisConnection<K, byte[]> c) {
      this.sync = c.sync();
      this.async = c.async();
    } else if (connection instanceof StatefulRedisClusterConnection<K, byte[]> c) {
      this.sync = c.sync();
      this.async = c.async();
    } else {
      throw new IllegalArgumentException("unsupported connection " + connection.getClass().getName());
    }
  }

  /** Synchronous commands. */
  public RedisClusterCommands<K, byte[]> sync() {
    return sync;
  }

  /** Asynchronous commands (pipelined on this connection, in order). */
  public RedisClusterAsyncCommands<K, byte[]> async() {
    return async;
  }

  /** Runs a script: EVALSHA, and EVAL if the server does not have it cached. */
  public <T> T eval(LuaScript script, ScriptOutputType type, K[] keys, byte[]... args) {
    try {
      return sync.evalsha(script.sha(), type, keys, args);
    } catch (RedisNoScriptException e) {
      return sync.eval(script.body(), type, keys, args);
    } catch (RedisCommandExecutionException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("NOSCRIPT")) {
        return sync.eval(script.body(), type, keys, args);
      }
      throw e;
    }
  }

  /**
   * Runs a script asynchronously: EVALSHA, and EVAL if the server does not have it cached. For
   * calls made often (the script body is not sent, nor hashed by the server, on every call).
   */
  public <T> CompletionStage<T> evalShaAsync(LuaScript script, ScriptOutputType type, K[] keys, byte[]... args) {
    RedisFuture<T> first = async.evalsha(script.sha(), type, keys, args);
    return first.exceptionallyCompose(e -> {
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      if (cause instanceof RedisNoScriptException
          || cause instanceof RedisCommandExecutionException && cause.getMessage() != null
              && cause.getMessage().startsWith("NOSCRIPT")) {
        return async.<T>eval(script.body(), type, keys, args);
      }
      return CompletableFuture.failedStage(cause);
    });
  }

  /** Runs a script asynchronously with EVAL (the server caches it; no NOSCRIPT round trip). */
  public <T> RedisFuture<T> evalAsync(LuaScript script, ScriptOutputType type, K[] keys, byte[]... args) {
    return async.eval(script.body(), type, keys, args);
  }

  /**
   * Waits for an asynchronous command as the synchronous API would: its result, or the same
   * exceptions (a timeout after the connection's command timeout, an error reply, an interrupt).
   */
  public <T> T await(RedisFuture<T> future) {
    return LettuceFutures.awaitOrCancel(future, connection.getTimeout().toNanos(), TimeUnit.NANOSECONDS);
  }

  /** UTF-8 bytes of a script argument. */
  public static byte[] arg(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A number as a script argument. */
  public static byte[] arg(long n) {
    return arg(Long.toString(n));
  }

  /** A reply element as text. */
  public static String text(Object reply) {
    if (reply instanceof byte[] b) {
      return new String(b, StandardCharsets.UTF_8);
    }
    return String.valueOf(reply);
  }

  /** A reply element as a number (integer replies, or numbers sent as text). */
  public static long number(Object reply) {
    if (reply instanceof Long l) {
      return l;
    }
    return Long.parseLong(text(reply));
  }

  /** A reply as a list. */
  @SuppressWarnings("unchecked")
  public static List<Object> list(Object reply) {
    return (List<Object>) reply;
  }

  /**
   * Whether trying again may help: the connection is down or timed out, or the server is
   * loading its data, failing over or busy. Not for errors of the command itself.
   */
  public static boolean isTransient(RuntimeException e) {
    if (e instanceof RedisCommandExecutionException) {
      String m = e.getMessage() == null ? "" : e.getMessage().toUpperCase(Locale.ROOT);
      return m.startsWith("LOADING") || m.startsWith("BUSY") || m.startsWith("TRYAGAIN")
          || m.startsWith("CLUSTERDOWN") || m.startsWith("MASTERDOWN") || m.startsWith("READONLY");
    }
    return e instanceof RedisException;
  }

  /** Whether the connection is up right now. */
  public boolean isOpen() {
    return connection.isOpen();
  }

  @Override
  public void close() {
    connection.close();
  }
}
