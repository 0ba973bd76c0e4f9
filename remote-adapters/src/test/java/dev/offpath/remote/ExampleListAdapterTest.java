package dev.offpath.remote;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DynamicMessage;
import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.remote.RemoteConnection;
import dev.offpath.core.remote.RemoteFailurePolicy;
import dev.offpath.core.remote.RemoteHandlerConfig;
import dev.offpath.core.remote.RemoteTemplate;
import dev.offpath.remote.example.ListAdapter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The example adapter, called through a remote handler as Offpath runs it. */
class ExampleListAdapterTest {

  private final RemoteTemplate listentry = Templates.istio("listentry");

  @Test
  void theCommittedAdapterObjectIsTheExamplesOwn() throws Exception {
    try (var in = getClass().getResourceAsStream("/example/list-adapter.yaml")) {
      assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(ListAdapter.adapterYaml());
    }
  }

  @Test
  void aWhitelistAllowsItsEntriesAndDeniesOthers() throws Exception {
    var paramsType = ListAdapter.params();
    var params =
        DynamicMessage.newBuilder(paramsType)
            .addRepeatedField(paramsType.findFieldByName("overrides"), "mysource")
            .addRepeatedField(paramsType.findFieldByName("overrides"), "mysource2")
            .build()
            .toByteString();
    ChannelRegistry registry = new ChannelRegistry();
    try (ListAdapter adapter = new ListAdapter(listentry.request(), RemoteCheck.outputType(listentry));
        RemoteHandler h =
            new RemoteHandler(
                new RemoteHandlerConfig(
                    ListAdapter.NAME,
                    false,
                    List.of(listentry),
                    new RemoteConnection("127.0.0.1:" + adapter.port(), Duration.ofSeconds(5), null),
                    "type.googleapis.com/" + ListAdapter.PARAMS,
                    params,
                    RemoteFailurePolicy.FAIL_CLOSE),
                new TestEnvironment("source-whitelist.istio-system"),
                registry)) {
      CheckResult allowed =
          h.checkAsync(new Instance("source-info.instance.istio-system", "listentry", Map.of("value", "mysource"))).join();
      CheckResult denied =
          h.checkAsync(new Instance("source-info.instance.istio-system", "listentry", Map.of("value", "other"))).join();

      assertThat(allowed).isEqualTo(CheckResult.ok(Duration.ofSeconds(10), 1000));
      assertThat(denied.status().code()).isEqualTo(StatusCode.PERMISSION_DENIED);
      assertThat(denied.status().message()).isEqualTo("other is not whitelisted");
    }
  }
}
