package dev.offpath.server.remote;

import static dev.offpath.server.remote.OopAdapter.OK;
import static dev.offpath.server.remote.OopAdapter.PERMISSION_DENIED;
import static dev.offpath.server.remote.OopAdapter.checkResult;
import static dev.offpath.server.remote.OopAdapter.field;
import static dev.offpath.server.remote.OopAdapter.instance;
import static dev.offpath.server.remote.OopAdapter.message;
import static dev.offpath.server.remote.OopAdapter.name;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import dev.offpath.core.remote.RemoteAdapters;
import dev.offpath.core.testing.MixerReference;
import dev.offpath.server.ServerHarness;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Knative activator's operator config ({@code oop/knative-activator/}: Istio's {@code
 * authorization} template, the {@code kactivator} adapter, handler {@code h1}, instance {@code
 * kactivator}, rule {@code r1}; only the handler's address replaced) behind a real Offpath, with a
 * real gRPC adapter reading each {@code HandleAuthorizationRequest} with the template's descriptor:
 * the adapter sees the instance's fields as the request's attributes make them, and the handler's
 * params in {@code adapter_config}; its denial is Envoy's 403 with its message.
 */
class KnativeActivatorEndToEndTest {

  private static final String COLD = "cold.serving.svc.cluster.local";
  private static final String SCALED_TO_ZERO = "revision cold is scaled to zero: activating";

  @TempDir Path dir;
  private ServerHarness server;
  private OopAdapter adapter;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    if (adapter != null) {
      adapter.close();
    }
  }

  /** The activator: a service scaled to zero is refused (after asking for a scale-up). */
  private static byte[] activator(DynamicMessage request) {
    Message action = message(instance(request), "action");
    String service = (String) action.getField(field(action, "service"));
    return COLD.equals(service)
        ? checkResult(PERMISSION_DENIED, SCALED_TO_ZERO, 0, 0)
        : checkResult(OK, "", 5, 100);
  }

  private static String string(Message m, String name) {
    return (String) m.getField(field(m, name));
  }

  @Test
  void theActivatorSeesTheAuthorizationInstanceAndItsDenialIsA403() throws Exception {
    adapter = new OopAdapter(OopAdapter.template("authorization"), KnativeActivatorEndToEndTest::activator);
    Path config = Files.createDirectories(dir.resolve("config"));
    Files.copy(
        MixerReference.file("oop/template-authorization.yaml"),
        config.resolve("template-authorization.yaml"));
    Files.copy(
        MixerReference.file("oop/knative-activator/kactivator.yaml"), config.resolve("kactivator.yaml"));
    String operator =
        Files.readString(MixerReference.file("oop/knative-activator/sample_operator_cfg.yaml"));
    assertThat(operator).contains("\"[::]:42059\"");
    Files.writeString(
        config.resolve("sample_operator_cfg.yaml"),
        operator.replace("\"[::]:42059\"", "\"" + adapter.address() + "\""));
    server = ServerHarness.start(List.of(config));

    CheckResponse warm =
        server.check(
            "source.principal", "cluster.local/ns/default/sa/caller",
            "destination.namespace", "serving",
            "destination.service.host", "warm.serving.svc.cluster.local",
            "request.path", "/hello",
            "request.method", "GET");
    assertThat(warm.getStatus().getCode()).as(warm.getStatus().getMessage()).isZero();

    // The instance, read with the template's own descriptor: its full name and each field's
    // expression evaluated on the request (absent attributes take the config's defaults).
    assertThat(adapter.requests).hasSize(1);
    DynamicMessage request = adapter.requests.get(0);
    Message instance = instance(request);
    assertThat(name(instance)).isEqualTo("kactivator.instance.istio-system");
    Message subject = message(instance, "subject");
    assertThat(string(subject, "user")).isEqualTo("cluster.local/ns/default/sa/caller");
    assertThat(string(subject, "groups")).isEmpty();
    Message action = message(instance, "action");
    assertThat(string(action, "namespace")).isEqualTo("serving");
    assertThat(string(action, "service")).isEqualTo("warm.serving.svc.cluster.local");
    assertThat(string(action, "path")).isEqualTo("/hello");
    assertThat(string(action, "method")).isEqualTo("GET");

    // adapter_config: the handler's params encoded as the kactivator adapter's Params.
    Message any = message(request, "adapter_config");
    Descriptor params = RemoteAdapters.paramsType(adapterConfigDescriptor());
    assertThat(string(any, "type_url")).isEqualTo(RemoteAdapters.typeUrl(params));
    DynamicMessage decoded =
        DynamicMessage.parseFrom(params, (ByteString) any.getField(field(any, "value")));
    assertThat(string(decoded, "autoscaler_endpoint"))
        .isEqualTo("ws://autoscaler.knative-serving.svc.local:8080");

    // No principal and no namespace on the request: the instance's defaults.
    CheckResponse cold =
        server.check(
            "destination.service.host", COLD, "request.path", "/activate", "request.method", "POST");
    assertThat(cold.getStatus().getCode()).isEqualTo(PERMISSION_DENIED);
    assertThat(cold.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
    assertThat(cold.getStatus().getMessage()).contains(SCALED_TO_ZERO);
    assertThat(adapter.requests).hasSize(2);
    Message coldInstance = instance(adapter.requests.get(1));
    Message coldAction = message(coldInstance, "action");
    assertThat(string(coldAction, "namespace")).isEqualTo("default");
    assertThat(string(coldAction, "path")).isEqualTo("/activate");
    assertThat(string(coldAction, "method")).isEqualTo("POST");
    assertThat(string(message(coldInstance, "subject"), "user")).isEmpty();

    // The denial is not cached as an allow: asked again, denied again.
    assertThat(
            server
                .check(
                    "destination.service.host", COLD, "request.path", "/activate",
                    "request.method", "POST")
                .getStatus()
                .getCode())
        .isEqualTo(PERMISSION_DENIED);
    assertThat(adapter.requests).hasSize(3);
  }

  /** The {@code config:} descriptor set of Istio's {@code kactivator} adapter object. */
  private static ByteString adapterConfigDescriptor() throws Exception {
    Matcher m =
        Pattern.compile("(?m)^\\s*config:\\s*\"?([A-Za-z0-9+/=]+)\"?\\s*$")
            .matcher(Files.readString(MixerReference.file("oop/knative-activator/kactivator.yaml")));
    assertThat(m.find()).isTrue();
    return ByteString.copyFrom(Base64.getDecoder().decode(m.group(1)));
  }
}
