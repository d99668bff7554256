package io.postline.mail.queue.redis.internal;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.DefaultClientResources;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Where the module's connections come from: a standalone {@link RedisClient} or a
 * {@link RedisClusterClient} the application owns (never shut down here), or one this module
 * creates from a URI and shuts down on {@link #close()}.
 */
public final class RedisEndpoint implements AutoCloseable {
  /** Keys as UTF-8 text, values as bytes (payloads may be encrypted). */
  public static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

  private final @Nullable RedisClient client;
  private final @Nullable RedisClusterClient cluster;
  private final @Nullable ClientResources ownedResources;

  private RedisEndpoint(@Nullable RedisClient client, @Nullable RedisClusterClient cluster,
      @Nullable ClientResources ownedResources) {
    this.client = client;
    this.cluster = cluster;
    this.ownedResources = ownedResources;
  }

  /** Connections from the application's standalone client. */
  public static RedisEndpoint of(RedisClient client) {
    return new RedisEndpoint(Objects.requireNonNull(client, "client"), null, null);
  }

  /** Connections from the application's cluster client. */
  public static RedisEndpoint of(RedisClusterClient cluster) {
    return new RedisEndpoint(null, Objects.requireNonNull(cluster, "cluster"), null);
  }

  /**
   * A standalone client of this module's own, with {@link #recommendedOptions()} and a reconnect
   * delay from 20 ms growing to at most 2 s; shut down on {@link #close()}.
   *
   * @param uri such as {@code redis://localhost:6379/0} or {@code rediss://:password@host:6380}
   */
  public static RedisEndpoint create(String uri) {
    Objects.requireNonNull(uri, "uri");
    RedisURI parsed = RedisURI.create(uri);
    ClientResources resources = DefaultClientResources.builder()
        .ioThreadPoolSize(2).computationThreadPoolSize(2)
        .reconnectDelay(Delay.exponential(Duration.ofMillis(20), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
        .build();
    RedisClient client = RedisClient.create(resources, parsed);
    client.setOptions(recommendedOptions());
    return new RedisEndpoint(client, null, resources);
  }

  /**
   * The client options this module works best with: reconnect automatically, reject commands
   * while disconnected (so a caller learns at once instead of waiting on a buffer), 10 s command
   * and 5 s connect timeouts.
   */
  public static ClientOptions recommendedOptions() {
    return ClientOptions.builder()
        .autoReconnect(true)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(10)))
        .socketOptions(SocketOptions.builder().connectTimeout(Duration.ofSeconds(5)).keepAlive(true).build())
        .build();
  }

  /**
   * The cluster client's options: like {@link #recommendedOptions()}, but commands wait (up to the
   * command timeout) while a node connection is being made, since a cluster client connects to
   * each node lazily; the topology is refreshed every 30 s and on MOVED, ASK and reconnects, so
   * that a failover is followed.
   */
  public static ClusterClientOptions recommendedClusterOptions() {
    return ClusterClientOptions.builder(recommendedOptions())
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.DEFAULT)
        .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
            .enablePeriodicRefresh(Duration.ofSeconds(30))
            .enableAllAdaptiveRefreshTriggers()
            .build())
        .build();
  }

  /** A new connection for commands and scripts. */
  public RedisLink<String> connect() {
    StatefulConnection<String, byte[]> c = client != null ? client.connect(CODEC) : cluster().connect(CODEC);
    return new RedisLink<>(c);
  }

  /**
   * A new connection for commands and scripts whose keys are bytes: a caller that encodes its key
   * names once saves their encoding on every call, and Lettuce writes byte keys and values into
   * its output buffer without a copy.
   */
  public RedisLink<byte[]> connectBinary() {
    StatefulConnection<byte[], byte[]> c = client != null ? client.connect(ByteArrayCodec.INSTANCE)
        : cluster().connect(ByteArrayCodec.INSTANCE);
    return new RedisLink<>(c);
  }

  /** A new connection for subscriptions. */
  public StatefulRedisPubSubConnection<String, String> connectPubSub() {
    return client != null ? client.connectPubSub(StringCodec.UTF8) : cluster().connectPubSub(StringCodec.UTF8);
  }

  /** The standalone client, if this endpoint uses one. */
  public @Nullable RedisClient standalone() {
    return client;
  }

  /** The cluster client, if this endpoint uses one. */
  public @Nullable RedisClusterClient clusterClient() {
    return cluster;
  }

  private RedisClusterClient cluster() {
    return Objects.requireNonNull(cluster);
  }

  /** Shuts down the client if this module created it; otherwise nothing. */
  @Override
  public void close() {
    if (ownedResources != null && client != null) {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      ownedResources.shutdown(0, 2, TimeUnit.SECONDS);
    }
  }
}
