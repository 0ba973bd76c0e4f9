package dev.offpath.server.tls;

import static java.util.Objects.requireNonNull;

import io.grpc.netty.shaded.io.netty.buffer.ByteBufAllocator;
import io.grpc.netty.shaded.io.netty.handler.ssl.ApplicationProtocolNegotiator;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSessionContext;

/**
 * A server {@link SslContext} whose delegate can be swapped: grpc asks its context for a new
 * engine per connection, so after {@link #swap} new connections handshake with the new certificate
 * while established ones keep the engine (and session) they have. Thread-safe: the delegate is one
 * volatile read per connection.
 */
final class ReloadingSslContext extends SslContext {

  private final AtomicReference<SslContext> current;

  ReloadingSslContext(SslContext initial) {
    current = new AtomicReference<>(requireNonNull(initial, "initial"));
  }

  void swap(SslContext next) {
    current.set(requireNonNull(next, "next"));
  }

  SslContext current() {
    return current.get();
  }

  @Override
  public boolean isClient() {
    return false;
  }

  @Override
  public List<String> cipherSuites() {
    return current.get().cipherSuites();
  }

  @Override
  @SuppressWarnings("deprecation")
  public ApplicationProtocolNegotiator applicationProtocolNegotiator() {
    return current.get().applicationProtocolNegotiator();
  }

  @Override
  public SSLEngine newEngine(ByteBufAllocator alloc) {
    return current.get().newEngine(alloc);
  }

  @Override
  public SSLEngine newEngine(ByteBufAllocator alloc, String peerHost, int peerPort) {
    return current.get().newEngine(alloc, peerHost, peerPort);
  }

  @Override
  public SSLSessionContext sessionContext() {
    return current.get().sessionContext();
  }
}
