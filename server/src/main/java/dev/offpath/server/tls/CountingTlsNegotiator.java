package dev.offpath.server.tls;

import dev.offpath.core.log.RateLimitedLog;
import io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslHandler;
import io.grpc.netty.shaded.io.netty.util.AsciiString;
import io.grpc.netty.shaded.io.netty.util.concurrent.Future;

/**
 * grpc's own server TLS negotiator, with every refused handshake counted: the handler it makes
 * per connection is installed by a one-shot handler of ours that then watches the {@link
 * SslHandler}'s handshake future — a failure is classified ({@link HandshakeFailure}), counted and
 * logged rate-limited; a success without ALPN {@code h2} is counted too (grpc then closes it).
 * grpc adds its SslHandler once the channel is active, so ours sits in front of grpc's handler
 * until then, hooks the handshake and removes itself: the data path is grpc's alone.
 *
 * <p>This uses grpc's {@code Internal*} negotiator API (the only hook into the handshake); a grpc
 * upgrade that changes it breaks the build here, not silently.
 */
final class CountingTlsNegotiator implements InternalProtocolNegotiator.ProtocolNegotiator {

  private final InternalProtocolNegotiator.ProtocolNegotiator tls;
  private final TlsStats stats;
  private final RateLimitedLog log;

  CountingTlsNegotiator(InternalProtocolNegotiator.ProtocolNegotiator tls, TlsStats stats, RateLimitedLog log) {
    this.tls = tls;
    this.stats = stats;
    this.log = log;
  }

  @Override
  public AsciiString scheme() {
    return tls.scheme();
  }

  @Override
  public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
    return new Installer(tls.newHandler(grpcHandler));
  }

  @Override
  public void close() {
    tls.close();
  }

  private final class Installer extends ChannelInboundHandlerAdapter {
    private final ChannelHandler negotiation;

    Installer(ChannelHandler negotiation) {
      this.negotiation = negotiation;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      // grpc's handler waits for the channel to be active before it adds the SslHandler.
      ctx.pipeline().addAfter(ctx.name(), null, negotiation);
      hook(ctx);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.fireChannelActive();
      hook(ctx);
    }

    private void hook(ChannelHandlerContext ctx) {
      if (ctx.isRemoved()) {
        return;
      }
      SslHandler ssl = ctx.pipeline().get(SslHandler.class);
      if (ssl != null) {
        ssl.handshakeFuture().addListener((Future<? super io.grpc.netty.shaded.io.netty.channel.Channel> f) -> done(f, ssl, ctx));
        ctx.pipeline().remove(this);
      }
    }

    private void done(Future<?> f, SslHandler ssl, ChannelHandlerContext ctx) {
      if (f.isSuccess()) {
        if (!"h2".equals(ssl.applicationProtocol())) {
          stats.failed(HandshakeFailure.NO_H2);
          log.warn("tls-no_h2", "TLS handshake from {} refused: no ALPN h2", ctx.channel().remoteAddress());
        }
        return;
      }
      HandshakeFailure reason = HandshakeFailure.classify(f.cause());
      stats.failed(reason);
      log.warn(
          "tls-" + reason.label(),
          "TLS handshake from {} refused: {}",
          ctx.channel().remoteAddress(),
          reason.label());
    }
  }
}
