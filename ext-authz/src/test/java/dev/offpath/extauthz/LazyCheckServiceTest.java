package dev.offpath.extauthz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.Vocabulary;
import dev.offpath.core.runtime.Decider;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.NotReadyException;
import dev.offpath.core.runtime.Outcome;
import dev.offpath.core.runtime.PendingDecision;
import dev.offpath.envoy.attributes.RequestLimits;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The lazy Check binding ({@link LazyCheckService}) against the parsed one ({@link
 * AuthorizationService} as a {@code BindableService}), both through real in-process servers and real
 * client calls with the same decider: the same bytes on the wire give the same answer. The decider
 * under test denies with a message listing every attribute the bag holds, so a response carries the
 * whole bag the service built.
 */
class LazyCheckServiceTest {

  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    servers.forEach(Server::shutdownNow);
  }

  /** Raw bytes in and out: what a client with a hand-made (or broken) encoder sends. */
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

  private ManagedChannel serve(ServerServiceDefinition definition) throws IOException {
    String name = InProcessServerBuilder.generateName();
    servers.add(
        InProcessServerBuilder.forName(name).directExecutor().addService(definition).build().start());
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    channels.add(channel);
    return channel;
  }

  /** [parsed, lazy] channels over one decider. */
  private ManagedChannel[] both(Decider decider) throws IOException {
    AuthorizationService service = new AuthorizationService(decider, new RequestLimits(16, 4096));
    return new ManagedChannel[] {
      serve(service.bindService()), serve(LazyCheckService.definition(service))
    };
  }

  /** Every attribute and its value, sorted, as text; a string map entry by entry. */
  static String describe(Attributes attributes) {
    StringBuilder out = new StringBuilder();
    for (String name : new TreeSet<>(attributes.names())) {
      Object v = attributes.get(name);
      out.append(name).append('=');
      if (v instanceof StringMap m) {
        out.append(new java.util.TreeMap<>(m.asMap()));
      } else if (v instanceof byte[] b) {
        out.append(java.util.HexFormat.of().formatHex(b));
      } else {
        out.append(v);
      }
      out.append('\n');
    }
    return out.toString();
  }

  private static Decision denied(String message) {
    return new Decision(
        PolicyStatus.of(StatusCode.PERMISSION_DENIED, message),
        Duration.ZERO,
        0,
        "r",
        "h",
        false,
        false,
        List.of(),
        List.of());
  }

  private static Decider decider(Function<Attributes, Outcome> decide) {
    return new Decider() {
      @Override
      public Outcome decide(Attributes attributes) {
        return decide.apply(attributes);
      }

      @Override
      public AttributeManifest manifest() {
        return AttributeManifest.of(Vocabulary.builtin().all());
      }
    };
  }

  private static byte[] call(ManagedChannel channel, byte[] request) {
    return ClientCalls.blockingUnaryCall(channel, RAW, CallOptions.DEFAULT, request);
  }

  private static Status failure(ManagedChannel channel, byte[] request) {
    StatusRuntimeException e =
        catchThrowableOfType(StatusRuntimeException.class, () -> call(channel, request));
    assertThat(e).as("call failed for %s", java.util.HexFormat.of().formatHex(request)).isNotNull();
    return e.getStatus();
  }

  private static CheckRequest request(Random random, int i) {
    Map<String, String> attrs = new HashMap<>();
    attrs.put("request.path", "/api/v" + random.nextInt(3) + "/items?page=" + i);
    attrs.put("request.method", random.nextBoolean() ? "GET" : "POST");
    attrs.put("source.ip", "10.0." + random.nextInt(256) + "." + random.nextInt(256));
    attrs.put("source.port", Integer.toString(1024 + random.nextInt(60000)));
    attrs.put("destination.principal", "spiffe://cluster.local/ns/default/sa/reviews");
    attrs.put("request.id", "id-" + i);
    attrs.put("request.time", "2026-12-05T20:0" + random.nextInt(10) + ":00.123456789Z");
    attrs.put("destination.service.host", "svc-" + random.nextInt(20) + ".default.svc.cluster.local");
    attrs.put("not.in.the.manifest", "ignored");
    for (int h = 0, n = random.nextInt(10); h < n; h++) {
      String name = (random.nextBoolean() ? "X-Header-" : "x-header-") + random.nextInt(8);
      attrs.put("request.headers[" + name + "]", "v" + random.nextInt(1000) + " é");
    }
    if (random.nextInt(4) == 0) {
      attrs.put("request.headers[traceparent]", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    }
    return CheckRequests.fromAttributes(attrs);
  }

  @Test
  void theSameBytesGiveTheSameBagAndResponse() throws Exception {
    ManagedChannel[] c = both(decider(a -> denied(describe(a))));
    Random random = new Random(14);
    for (int i = 0; i < 200; i++) {
      byte[] bytes = request(random, i).toByteArray();
      CheckResponse parsed = CheckResponse.parseFrom(call(c[0], bytes));
      CheckResponse lazy = CheckResponse.parseFrom(call(c[1], bytes));
      assertThat(lazy).isEqualTo(parsed);
      assertThat(lazy.getDeniedResponse().getBody()).contains("request.path=/api/v", "source.ip=10.0.");
    }
  }

  @Test
  void aRequestOverTheLimitsIsTheSame400() throws Exception {
    ManagedChannel[] c = both(decider(a -> denied("decided")));
    AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder();
    for (int i = 0; i < 17; i++) {
      http.putHeaders("x-" + i, "v");
    }
    byte[] tooMany =
        CheckRequest.newBuilder()
            .setAttributes(
                AttributeContext.newBuilder()
                    .setRequest(AttributeContext.Request.newBuilder().setHttp(http)))
            .build()
            .toByteArray();
    CheckResponse parsed = CheckResponse.parseFrom(call(c[0], tooMany));
    CheckResponse lazy = CheckResponse.parseFrom(call(c[1], tooMany));
    assertThat(lazy).isEqualTo(parsed);
    assertThat(lazy.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(400);
    assertThat(lazy.getDeniedResponse().getBody()).contains("headers");
  }

  @Test
  void malformedBytesFailAsOnTheParsedPath() throws Exception {
    ManagedChannel[] c = both(decider(a -> denied("decided")));
    byte[] valid = request(new Random(1), 0).toByteArray();
    List<byte[]> broken =
        List.of(
            new byte[] {(byte) 0xff},
            new byte[] {0x0a, 0x05, 0x01},
            java.util.Arrays.copyOf(valid, valid.length - 3),
            // attributes with length -1 (a 32-bit varint read as a negative size)
            new byte[] {0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f});
    for (byte[] bytes : broken) {
      Status parsed = failure(c[0], bytes);
      Status lazy = failure(c[1], bytes);
      assertThat(lazy.getCode()).isEqualTo(parsed.getCode()).isNotEqualTo(Status.Code.OK);
      assertThat(lazy.getDescription()).isEqualTo(parsed.getDescription());
    }
    // The server is still up and answers a good request afterwards.
    assertThat(CheckResponse.parseFrom(call(c[1], valid)).getDeniedResponse().getBody())
        .contains("decided");
  }

  @Test
  void anEmptyRequestIsDecidedLikeTheParsedOne() throws Exception {
    ManagedChannel[] c = both(decider(a -> denied(describe(a))));
    assertThat(CheckResponse.parseFrom(call(c[1], new byte[0])))
        .isEqualTo(CheckResponse.parseFrom(call(c[0], new byte[0])));
  }

  @Test
  void noConfigYetAndBugsAnswerAsOnTheParsedPath() throws Exception {
    byte[] bytes = request(new Random(2), 0).toByteArray();
    ManagedChannel[] notReady =
        both(
            decider(
                a -> {
                  throw new NotReadyException();
                }));
    Status lazy = failure(notReady[1], bytes);
    assertThat(lazy.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(lazy.getDescription()).isEqualTo(failure(notReady[0], bytes).getDescription());

    ManagedChannel[] bug =
        both(
            decider(
                a -> {
                  throw new IllegalStateException("secret internals");
                }));
    Status internal = failure(bug[1], bytes);
    assertThat(internal.getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(internal.getDescription()).isEqualTo("check failed");
  }

  @Test
  void aPendingDecisionIsAnsweredWhenItCompletes() throws Exception {
    CompletableFuture<Decision> later = new CompletableFuture<>();
    ManagedChannel[] c = both(decider(a -> new PendingDecision(later)));
    var response =
        ClientCalls.futureUnaryCall(
            c[1].newCall(RAW, CallOptions.DEFAULT), request(new Random(3), 0).toByteArray());
    assertThat(response.isDone()).isFalse();
    later.complete(denied("not on the list"));
    CheckResponse r = CheckResponse.parseFrom(response.get(10, TimeUnit.SECONDS));
    assertThat(r.getDeniedResponse().getBody()).contains("not on the list");
  }

  @Test
  void theLazyMethodIsGrpcsCheckMethodWithItsSchema() {
    ServerServiceDefinition d =
        LazyCheckService.definition(
            new AuthorizationService(decider(a -> denied("x")), RequestLimits.DEFAULT));
    assertThat(d.getServiceDescriptor().getName()).isEqualTo("envoy.service.auth.v3.Authorization");
    assertThat(d.getMethod("envoy.service.auth.v3.Authorization/Check")).isNotNull();
    assertThat(d.getServiceDescriptor().getSchemaDescriptor())
        .isSameAs(AuthorizationGrpc.getServiceDescriptor().getSchemaDescriptor());
  }

  @Test
  void theMarshallerReadsStreamsWithAndWithoutAKnownLength() throws Exception {
    byte[] valid = request(new Random(4), 0).toByteArray();
    InputStream unknownLength =
        new InputStream() {
          final ByteArrayInputStream in = new ByteArrayInputStream(valid);

          @Override
          public int read() {
            return in.read();
          }
        };
    var m = new LazyCheckService.Marshaller();
    assertThat(m.parse(unknownLength).toProto()).isEqualTo(CheckRequest.parseFrom(valid));
    assertThat(m.stream(m.parse(new ByteArrayInputStream(valid))).readAllBytes()).isEqualTo(valid);
    assertThat(LazyCheckService.Marshaller.readAll(new KnownButShort(valid, 10))).isEqualTo(valid);
  }

  /** A stream whose known length is less than it holds: the rest is still read. */
  private static final class KnownButShort extends ByteArrayInputStream implements io.grpc.KnownLength {
    private final int claimed;
    private boolean asked;

    KnownButShort(byte[] bytes, int claimed) {
      super(bytes);
      this.claimed = claimed;
    }

    @Override
    public synchronized int available() {
      if (!asked) {
        asked = true;
        return claimed;
      }
      return super.available();
    }
  }
}
