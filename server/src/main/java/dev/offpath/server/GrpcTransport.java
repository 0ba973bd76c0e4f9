package dev.offpath.server;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC server's own Netty event loops: native epoll where the platform has it (Linux; the
 * shaded Netty ships the library), NIO otherwise, with a chosen number of worker threads. Checks
 * run on these threads (direct executor), so their number is the Check path's parallelism. grpc's
 * default is a shared group of two threads per core; on a small machine that is twice as many
 * runnable threads as cores, competing with the report workers, so Offpath defaults to one per
 * core ({@code --event-loop-threads} changes it; README "Performance" has the measurements).
 *
 * <p>Owned by the server: closed after the gRPC server has terminated.
 */
final class GrpcTransport implements AutoCloseable {

  private final String kind;
  private final int threads;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Class<? extends ServerChannel> channelType;

  private GrpcTransport(
      String kind,
      int threads,
      EventLoopGroup boss,
      EventLoopGroup workers,
      Class<? extends ServerChannel> channelType) {
    this.kind = kind;
    this.threads = threads;
    this.boss = boss;
    this.workers = workers;
    this.channelType = channelType;
  }

  /** {@code threads} worker event loops; 0 means one per available core. */
  static GrpcTransport create(int threads) {
    if (threads < 0) {
      throw new IllegalArgumentException("threads: " + threads + " (expected: >= 0)");
    }
    int n = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
    DefaultThreadFactory bossThreads = new DefaultThreadFactory("offpath-grpc-boss", true);
    DefaultThreadFactory workerThreads = new DefaultThreadFactory("offpath-grpc", true);
    if (Epoll.isAvailable()) {
      return new GrpcTransport(
          "epoll",
          n,
          new EpollEventLoopGroup(1, bossThreads),
          new EpollEventLoopGroup(n, workerThreads),
          EpollServerSocketChannel.class);
    }
    return new GrpcTransport(
        "nio",
        n,
        new NioEventLoopGroup(1, bossThreads),
        new NioEventLoopGroup(n, workerThreads),
        NioServerSocketChannel.class);
  }

  NettyServerBuilder configure(NettyServerBuilder builder) {
    return builder
        .bossEventLoopGroup(boss)
        .workerEventLoopGroup(workers)
        .channelType(channelType);
  }

  /**
   * The per-connection bounds of {@link ConnectionLimits} (README "Security"): streams, age and
   * grace, keepalive enforcement (pings without calls are allowed, since Envoy keeps idle
   * connections, but not more often than {@code permitKeepAliveTime}), idle time, RST_STREAM rate.
   */
  static NettyServerBuilder limit(NettyServerBuilder builder, ConnectionLimits limits) {
    builder
        .maxConcurrentCallsPerConnection(limits.maxConcurrentStreams())
        .permitKeepAliveTime(limits.permitKeepAliveTime().toNanos(), TimeUnit.NANOSECONDS)
        .permitKeepAliveWithoutCalls(true);
    if (!limits.maxConnectionAge().isZero()) {
      builder.maxConnectionAge(limits.maxConnectionAge().toNanos(), TimeUnit.NANOSECONDS);
      builder.maxConnectionAgeGrace(limits.maxConnectionAgeGrace().toNanos(), TimeUnit.NANOSECONDS);
    }
    if (!limits.maxConnectionIdle().isZero()) {
      builder.maxConnectionIdle(limits.maxConnectionIdle().toNanos(), TimeUnit.NANOSECONDS);
    }
    if (limits.maxRstStreamsPerSecond() > 0) {
      builder.maxRstFramesPerWindow(Math.multiplyExact(limits.maxRstStreamsPerSecond(), 10), 10);
    }
    return builder;
  }

  /** {@code epoll} or {@code nio}. */
  String kind() {
    return kind;
  }

  int threads() {
    return threads;
  }

  @Override
  public void close() {
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  @Override
  public String toString() {
    return kind + " x" + threads;
  }
}
