package dev.offpath.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import dev.offpath.core.remote.RemoteTemplate;
import dev.offpath.core.remote.RemoteTemplates;
import dev.offpath.core.testing.MixerReference;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Istio's out-of-process list checker objects ({@code oop/template-listentry.yaml}, {@code
 * nosession.yaml}, {@code listentryoop.yaml}, {@code listcheckoop.yaml}; only the handler's address
 * replaced) served by a real Offpath, with a real gRPC adapter on loopback that reads each request
 * with the template's own descriptor, as an adapter generated from it would: the adapter's verdict
 * is the Check's, and N identical Checks cost one adapter call per validity.
 */
class OutOfProcessEndToEndTest {

  private static final Pattern DESCRIPTOR =
      Pattern.compile("(?m)^\\s*descriptor:\\s*\"?([A-Za-z0-9+/=]+)\"?\\s*$");
  private static final int PERMISSION_DENIED = 7;

  @TempDir Path dir;
  private ServerHarness server;
  private Server adapter;
  private final List<DynamicMessage> requests = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() throws InterruptedException {
    if (server != null) {
      server.close();
    }
    if (adapter != null) {
      adapter.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void istiosListCheckerRunsOutOfProcessBehindTheCheckCache() throws Exception {
    RemoteTemplate listentry = template("listentry");
    adapter = startListAdapter(listentry, Set.of("mysource", "mysource2"));
    Path config = Files.createDirectories(dir.resolve("config"));
    for (String f : List.of("template-listentry.yaml", "nosession.yaml", "listentryoop.yaml")) {
      Files.copy(MixerReference.file("oop/" + f), config.resolve(f));
    }
    Files.writeString(
        config.resolve("listcheckoop.yaml"),
        Files.readString(MixerReference.file("oop/listcheckoop.yaml"))
            .replace("listadapter:8080", "127.0.0.1:" + adapter.getPort()));
    server = ServerHarness.start(List.of(config));

    CheckResponse allowed = server.check("source.name", "mysource");
    assertThat(allowed.getStatus().getCode()).as(allowed.getStatus().getMessage()).isZero();
    CheckResponse denied = server.check("source.name", "intruder");
    assertThat(denied.getStatus().getCode()).isEqualTo(PERMISSION_DENIED);
    assertThat(denied.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
    assertThat(denied.getStatus().getMessage()).contains("intruder is not whitelisted");

    // What the adapter received: the instance by its full name with the expression's value, and
    // the handler's params as adapter_config.
    assertThat(requests).hasSize(2);
    DynamicMessage first = requests.get(0);
    Message instance = (Message) first.getField(field(first, "instance"));
    assertThat(instance.getField(field(instance, "name")))
        .isEqualTo("source-info.instance.istio-system");
    assertThat(stringValue(instance)).isEqualTo("mysource");
    Message adapterConfig = (Message) first.getField(field(first, "adapter_config"));
    assertThat((String) adapterConfig.getField(field(adapterConfig, "type_url")))
        .endsWith(".Params");
    assertThat((ByteString) adapterConfig.getField(field(adapterConfig, "value")))
        .isNotEmpty();

    // 200 identical Checks: answered from the cache, within the adapter's validity (10 s).
    for (int i = 0; i < 200; i++) {
      assertThat(server.check("source.name", "mysource").getStatus().getCode()).isZero();
    }
    assertThat(requests).hasSize(2);
    String metrics = server.metrics();
    assertThat(
            ServerHarness.sum(
                metrics, "offpath_adapter_calls_total", "handler", "source-whitelist.handler.istio-system",
                "result", "ok"))
        .isEqualTo(2.0);
  }

  /** The instance's {@code value}, an {@code istio.policy.v1beta1.Value} holding a string. */
  private static String stringValue(Message instance) {
    Message value = (Message) instance.getField(field(instance, "value"));
    return (String) value.getField(field(value, "string_value"));
  }

  private static FieldDescriptor field(Message m, String name) {
    FieldDescriptor f = m.getDescriptorForType().findFieldByName(name);
    assertThat(f).as(name).isNotNull();
    return f;
  }

  private static RemoteTemplate template(String name) throws IOException {
    Matcher m =
        DESCRIPTOR.matcher(Files.readString(MixerReference.file("oop/template-" + name + ".yaml")));
    assertThat(m.find()).isTrue();
    return RemoteTemplates.parse(name, ByteString.copyFrom(Base64.getDecoder().decode(m.group(1))));
  }

  /**
   * A whitelist adapter on raw bytes: records each request decoded with the template's descriptor
   * and answers a {@code CheckResult} (OK valid 10 s / 1,000 uses, or PERMISSION_DENIED).
   */
  private Server startListAdapter(RemoteTemplate template, Set<String> allowed) throws IOException {
    Descriptor requestType = template.request();
    String method = template.fullMethodName();
    MethodDescriptor<byte[], byte[]> descriptor =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(method)
            .setRequestMarshaller(RawBytes.INSTANCE)
            .setResponseMarshaller(RawBytes.INSTANCE)
            .build();
    ServerServiceDefinition service =
        ServerServiceDefinition.builder(method.substring(0, method.indexOf('/')))
            .addMethod(
                descriptor,
                ServerCalls.asyncUnaryCall(
                    (bytes, observer) -> {
                      try {
                        DynamicMessage request = DynamicMessage.parseFrom(requestType, bytes);
                        requests.add(request);
                        Message instance = (Message) request.getField(field(request, "instance"));
                        String value = stringValue(instance);
                        observer.onNext(
                            allowed.contains(value)
                                ? checkResult(0, "", 10, 1000)
                                : checkResult(PERMISSION_DENIED, value + " is not whitelisted", 0, 0));
                        observer.onCompleted();
                      } catch (IOException e) {
                        observer.onError(
                            Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asException());
                      }
                    }))
            .build();
    return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(service)
        .build()
        .start();
  }

  /**
   * {@code CheckResult {google.rpc.Status status = 1; Duration valid_duration = 2; int32
   * valid_use_count = 3}}, written by hand as any adapter's protobuf library would.
   */
  private static byte[] checkResult(int code, String message, long validSeconds, int uses)
      throws IOException {
    ByteArrayOutputStream status = new ByteArrayOutputStream();
    CodedOutputStream s = CodedOutputStream.newInstance(status);
    if (code != 0) {
      s.writeInt32(1, code);
    }
    if (!message.isEmpty()) {
      s.writeString(2, message);
    }
    s.flush();
    ByteArrayOutputStream duration = new ByteArrayOutputStream();
    CodedOutputStream d = CodedOutputStream.newInstance(duration);
    if (validSeconds != 0) {
      d.writeInt64(1, validSeconds);
    }
    d.flush();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    o.writeByteArray(1, status.toByteArray());
    o.writeByteArray(2, duration.toByteArray());
    if (uses != 0) {
      o.writeInt32(3, uses);
    }
    o.flush();
    return out.toByteArray();
  }

  private enum RawBytes implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
