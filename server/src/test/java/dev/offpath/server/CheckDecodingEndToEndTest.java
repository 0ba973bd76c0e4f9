package dev.offpath.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.offpath.extauthz.CheckRequests;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * ext_authz's two ways of reading a {@code CheckRequest} through real servers on loopback (Netty,
 * real stubs): lazy (the default) and parsed ({@code --check-decoding parsed}) give the same
 * responses for the same bytes, with a denier and IP/string lists, and the same gRPC status for
 * bytes that are not a {@code CheckRequest} (grpc's UNKNOWN "Application error processing RPC",
 * counted as INTERNAL by the server's gRPC metrics); {@code /debug/vars} names the mode.
 */
class CheckDecodingEndToEndTest {

  private ServerHarness lazy;
  private ServerHarness parsed;

  @AfterEach
  void stop() {
    if (lazy != null) {
      lazy.close();
    }
    if (parsed != null) {
      parsed.close();
    }
  }

  private static final MethodDescriptor<byte[], byte[]> RAW =
      AuthorizationGrpc.getCheckMethod().toBuilder(new Bytes(), new Bytes()).build();

  private static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  private static byte[] call(ServerHarness h, byte[] request) {
    return ClientCalls.blockingUnaryCall(
        h.channel, RAW, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request);
  }

  private static CheckRequest request(String... nameValues) {
    Map<String, String> attrs = new LinkedHashMap<>();
    for (int i = 0; i < nameValues.length; i += 2) {
      attrs.put(nameValues[i], nameValues[i + 1]);
    }
    return CheckRequests.fromAttributes(attrs);
  }

  private void startBoth() throws Exception {
    List<java.nio.file.Path> config =
        List.of(
            ExtAuthzEndToEndTest.EXAMPLES.resolve("deny.yaml"),
            ExtAuthzEndToEndTest.EXAMPLES.resolve("lists.yaml"));
    lazy = ServerHarness.start(ServerHarness.options(config, false));
    parsed = ServerHarness.start(ServerHarness.options(config, false).withLazyCheckRequests(false));
  }

  @Test
  void bothModesAnswerTheSameBytesAlike() throws Exception {
    startBoth();
    List<CheckRequest> requests =
        List.of(
            request("request.path", "/admin/users"),
            request("request.path", "/admin/users", "request.headers[X-Internal]", "true"),
            request("request.path", "/shop", "source.ip", "203.0.113.7"),
            request("request.path", "/", "source.ip", "2001:db8::5"),
            request("request.path", "/", "source.ip", "198.51.100.1", "request.headers[user-agent]", "curl"),
            request("request.path", "/x", "destination.service.host", "reviews.default.svc.cluster.local"));
    int denied = 0;
    for (CheckRequest r : requests) {
      CheckResponse fromLazy = CheckResponse.parseFrom(call(lazy, r.toByteArray()));
      CheckResponse fromParsed = CheckResponse.parseFrom(call(parsed, r.toByteArray()));
      assertThat(fromLazy).as(r.toString()).isEqualTo(fromParsed);
      denied += fromLazy.getStatus().getCode() == 0 ? 0 : 1;
    }
    assertThat(denied).isGreaterThanOrEqualTo(3); // the denier and both blacklisted addresses
    assertThat(lazy.admin("/debug/vars").body()).contains("\"checkDecoding\" : \"lazy\"");
    assertThat(parsed.admin("/debug/vars").body()).contains("\"checkDecoding\" : \"parsed\"");
  }

  @Test
  void bytesThatAreNoCheckRequestFailAlikeAndAreCounted() throws Exception {
    startBoth();
    byte[] garbage = {0x0a, 0x05, 0x01};
    Status fromLazy =
        catchThrowableOfType(StatusRuntimeException.class, () -> call(lazy, garbage)).getStatus();
    Status fromParsed =
        catchThrowableOfType(StatusRuntimeException.class, () -> call(parsed, garbage)).getStatus();
    assertThat(fromLazy.getCode()).isEqualTo(fromParsed.getCode()).isNotEqualTo(Status.Code.OK);
    assertThat(fromLazy.getDescription()).isEqualTo(fromParsed.getDescription());
    // grpc's own answer to a request its marshaller cannot read; the server counts it as INTERNAL
    assertThat(fromLazy.getCode()).isEqualTo(Status.Code.UNKNOWN);
    assertThat(fromLazy.getDescription()).isEqualTo("Application error processing RPC");
    for (ServerHarness h : List.of(lazy, parsed)) {
      // The client may see the failed call before the server has finished accounting for it
      // (gRPC runs the failed call's callbacks after closing the stream): wait, bounded.
      long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      double internal = internalChecks(h);
      while (internal < 1 && System.nanoTime() < until) {
        Thread.sleep(20);
        internal = internalChecks(h);
      }
      assertThat(internal).isEqualTo(1.0);
      // still serving
      assertThat(CheckResponse.parseFrom(call(h, request("request.path", "/shop").toByteArray())).getStatus().getCode())
          .isZero();
    }
  }

  @Test
  void anUnknownDecodingIsRefusedWithOneLine() {
    CliTest.Result r = CliTest.run("serve", "--check-decoding", "eager", "--no-watch");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--check-decoding: eager (expected: lazy or parsed)");
  }

  private static double internalChecks(ServerHarness h) throws Exception {
    return ServerHarness.sum(
        h.metrics(), "grpc_server_handled_total", "grpc_method", "Check", "grpc_code", "INTERNAL");
  }
}
