package dev.offpath.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.remote.RemoteAuthentication;
import dev.offpath.core.remote.RemoteConnection;
import dev.offpath.core.remote.RemoteFailurePolicy;
import dev.offpath.core.remote.RemoteHandlerConfig;
import dev.offpath.core.remote.RemoteTemplate;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Channels: reuse across handler generations, and real TLS (mutual; server-only with a token). */
class TransportTest {

  @TempDir static Path dir;
  private static Pki pki;

  private final RemoteTemplate authorization = Templates.istio("authorization");
  private final ChannelRegistry registry = new ChannelRegistry();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final List<Metadata> headers = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void certificates() throws Exception {
    pki = Pki.generate(dir.resolve("pki"));
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
  }

  private TestAdapter tlsAdapter(ClientAuth clientAuth) throws Exception {
    ServerInterceptor capture =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata h, ServerCallHandler<Q, R> next) {
            headers.add(h);
            return next.startCall(call, h);
          }
        };
    TestAdapter a =
        new TestAdapter(
            authorization,
            m -> Answers.check(authorization, 7, "seen over TLS", 5, 10),
            b -> {
              try {
                return b.sslContext(
                    GrpcSslContexts.forServer(pki.serverCert().toFile(), pki.serverKey().toFile())
                        .trustManager(pki.ca().toFile())
                        .clientAuth(clientAuth)
                        .build());
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            },
            List.of(capture));
    closing.add(a);
    return a;
  }

  private RemoteHandler handler(String name, RemoteConnection connection) {
    RemoteHandler h =
        new RemoteHandler(
            new RemoteHandlerConfig(
                "kactivator", false, List.of(authorization), connection, null, null,
                RemoteFailurePolicy.FAIL_CLOSE),
            new TestEnvironment(name),
            registry);
    closing.add(h);
    return h;
  }

  @Test
  void aReloadThatKeepsTheConnectionKeepsTheChannel_aChangedOneGetsANewChannel() {
    RemoteConnection c = new RemoteConnection("127.0.0.1:1", Duration.ofSeconds(1), null);
    RemoteHandler first = new RemoteHandler(
        new RemoteHandlerConfig("a", false, List.of(authorization), c, null, null, RemoteFailurePolicy.FAIL_CLOSE),
        new TestEnvironment("h.default"), registry);
    RemoteHandler second = new RemoteHandler(
        new RemoteHandlerConfig("a", false, List.of(authorization), c, null, null, RemoteFailurePolicy.FAIL_CLOSE),
        new TestEnvironment("h.default"), registry);
    assertThat(second.lease().managedChannel()).isSameAs(first.lease().managedChannel());
    first.close();
    assertThat(second.lease().managedChannel().isShutdown()).isFalse();

    RemoteConnection moved = new RemoteConnection("127.0.0.1:2", Duration.ofSeconds(1), null);
    RemoteHandler third = new RemoteHandler(
        new RemoteHandlerConfig("a", false, List.of(authorization), moved, null, null, RemoteFailurePolicy.FAIL_CLOSE),
        new TestEnvironment("h.default"), registry);
    assertThat(third.lease().managedChannel()).isNotSameAs(second.lease().managedChannel());
    assertThat(registry.size()).isEqualTo(2);
    second.close();
    assertThat(second.lease().managedChannel().isShutdown()).isTrue();
    third.close();
    assertThat(registry.size()).isZero();
  }

  @Test
  void mutualTls() throws Exception {
    TestAdapter a = tlsAdapter(ClientAuth.REQUIRE);
    RemoteHandler h =
        handler(
            "mtls.default",
            new RemoteConnection(
                a.address(),
                Duration.ofSeconds(5),
                new RemoteAuthentication.Mutual(
                    pki.clientKey().toString(), pki.clientCert().toString(), pki.ca().toString(),
                    Pki.SERVER_NAME)));

    CheckResult r = h.checkAsync(Instances.authorization("alice")).join();

    assertThat(r.status().code()).isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(r.status().message()).isEqualTo("seen over TLS");
  }

  @Test
  void withoutAClientCertificateTheAdapterRefusesAndTheCheckFailsClosed() throws Exception {
    TestAdapter a = tlsAdapter(ClientAuth.REQUIRE);
    RemoteHandler h =
        handler(
            "tls.default",
            new RemoteConnection(
                a.address(),
                Duration.ofSeconds(5),
                new RemoteAuthentication.Tls(
                    pki.ca().toString(), null, RemoteAuthentication.AuthHeader.BEARER, null, Pki.SERVER_NAME)));

    CheckResult r = h.checkAsync(Instances.authorization("alice")).join();

    assertThat(r.status().code()).isEqualTo(StatusCode.UNAVAILABLE);
    assertThat(a.calls.get()).isZero();
  }

  @Test
  void tlsWithATokenAsBearerOrInACustomHeader() throws Exception {
    TestAdapter a = tlsAdapter(ClientAuth.NONE);
    Path token = dir.resolve("token");
    Files.writeString(token, "s3cret\n");
    RemoteHandler bearer =
        handler(
            "bearer.default",
            new RemoteConnection(
                a.address(),
                Duration.ofSeconds(5),
                new RemoteAuthentication.Tls(
                    pki.ca().toString(), token.toString(), RemoteAuthentication.AuthHeader.BEARER, null,
                    Pki.SERVER_NAME)));
    RemoteHandler custom =
        handler(
            "custom.default",
            new RemoteConnection(
                a.address(),
                Duration.ofSeconds(5),
                new RemoteAuthentication.Tls(
                    pki.ca().toString(), token.toString(), RemoteAuthentication.AuthHeader.PLAIN,
                    "x-adapter-token", Pki.SERVER_NAME)));

    assertThat(bearer.checkAsync(Instances.authorization("a")).join().status().code())
        .isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(custom.checkAsync(Instances.authorization("b")).join().status().code())
        .isEqualTo(StatusCode.PERMISSION_DENIED);

    Metadata.Key<String> authorization = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    Metadata.Key<String> customKey = Metadata.Key.of("x-adapter-token", Metadata.ASCII_STRING_MARSHALLER);
    assertThat(headers).hasSize(2);
    assertThat(headers.get(0).get(authorization)).isEqualTo("Bearer s3cret");
    assertThat(headers.get(1).get(customKey)).isEqualTo("s3cret");
    assertThat(headers.get(1).get(authorization)).isNull();
  }

  @Test
  void anUnreadableCertificateIsRefusedWhenTheHandlerIsBuilt() {
    RemoteConnection c =
        new RemoteConnection(
            "127.0.0.1:1",
            Duration.ofSeconds(1),
            new RemoteAuthentication.Mutual("/nonexistent/key", "/nonexistent/crt", "/nonexistent/ca", null));
    assertThatThrownBy(() -> handler("bad.default", c))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not a readable file");
    assertThat(registry.size()).isZero();
  }
}
