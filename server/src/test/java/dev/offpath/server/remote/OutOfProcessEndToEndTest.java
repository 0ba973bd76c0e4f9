package dev.offpath.server.remote;

import static dev.offpath.server.remote.OopAdapter.OK;
import static dev.offpath.server.remote.OopAdapter.PERMISSION_DENIED;
import static dev.offpath.server.remote.OopAdapter.checkResult;
import static dev.offpath.server.remote.OopAdapter.instance;
import static dev.offpath.server.remote.OopAdapter.message;
import static dev.offpath.server.remote.OopAdapter.name;
import static dev.offpath.server.remote.OopAdapter.stringValue;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import dev.offpath.core.testing.MixerReference;
import dev.offpath.server.ServerHarness;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Istio's out-of-process list checker objects ({@code oop/template-listentry.yaml}, {@code
 * nosession.yaml}, {@code listentryoop.yaml}, {@code listcheckoop.yaml}; only the handler's address
 * replaced) served by a real Offpath, with a real gRPC adapter on loopback that reads each request
 * with the template's own descriptor, as an adapter generated from it would: the adapter's verdict
 * is the Check's, and N identical Checks cost one adapter call per validity (duration or use count;
 * an all-default answer is "no opinion", cached with the default validity).
 */
class OutOfProcessEndToEndTest {

  private static final String HANDLER = "source-whitelist.handler.istio-system";

  @TempDir Path dir;
  private ServerHarness server;
  private OopAdapter adapter;

  @AfterEach
  void stop() throws InterruptedException {
    if (server != null) {
      server.close();
    }
    if (adapter != null) {
      adapter.close();
    }
  }

  /**
   * A list adapter: {@code mysource} and {@code mysource2} OK for 10 s / 1,000 uses; {@code
   * fivetimes} OK for 60 s / 5 uses; {@code noopinion} the empty CheckResult; anything else
   * PERMISSION_DENIED "&lt;value&gt; is not whitelisted".
   */
  private static byte[] listAnswer(DynamicMessage request) {
    String value = stringValue(message(instance(request), "value"));
    return switch (value) {
      case "mysource", "mysource2" -> checkResult(OK, "", 10, 1000);
      case "fivetimes" -> checkResult(OK, "", 60, 5);
      case "noopinion" -> new byte[0];
      default -> checkResult(PERMISSION_DENIED, value + " is not whitelisted", 0, 0);
    };
  }

  private void startIstiosListChecker() throws Exception {
    adapter = new OopAdapter(OopAdapter.template("listentry"), OutOfProcessEndToEndTest::listAnswer);
    Path config = Files.createDirectories(dir.resolve("config"));
    for (String f : List.of("template-listentry.yaml", "nosession.yaml", "listentryoop.yaml")) {
      Files.copy(MixerReference.file("oop/" + f), config.resolve(f));
    }
    Files.writeString(
        config.resolve("listcheckoop.yaml"),
        Files.readString(MixerReference.file("oop/listcheckoop.yaml"))
            .replace("listadapter:8080", adapter.address()));
    server = ServerHarness.start(List.of(config));
  }

  private int code(String source) {
    return server.check("source.name", source).getStatus().getCode();
  }

  @Test
  void istiosListCheckerRunsOutOfProcessBehindTheCheckCache() throws Exception {
    startIstiosListChecker();

    CheckResponse allowed = server.check("source.name", "mysource");
    assertThat(allowed.getStatus().getCode()).as(allowed.getStatus().getMessage()).isZero();
    CheckResponse denied = server.check("source.name", "intruder");
    assertThat(denied.getStatus().getCode()).isEqualTo(PERMISSION_DENIED);
    assertThat(denied.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
    assertThat(denied.getStatus().getMessage()).contains("intruder is not whitelisted");

    // What the adapter received: the instance by its full name with the expression's value, and
    // the handler's params as adapter_config.
    assertThat(adapter.requests).hasSize(2);
    DynamicMessage first = adapter.requests.get(0);
    Message instance = instance(first);
    assertThat(name(instance)).isEqualTo("source-info.instance.istio-system");
    assertThat(stringValue(message(instance, "value"))).isEqualTo("mysource");
    Message adapterConfig = message(first, "adapter_config");
    assertThat((String) adapterConfig.getField(OopAdapter.field(adapterConfig, "type_url")))
        .endsWith(".Params");
    assertThat((ByteString) adapterConfig.getField(OopAdapter.field(adapterConfig, "value")))
        .isNotEmpty();

    // 200 identical Checks: answered from the cache, within the adapter's validity (10 s).
    for (int i = 0; i < 200; i++) {
      assertThat(code("mysource")).isZero();
    }
    assertThat(adapter.calls()).isEqualTo(2);
    assertThat(
            ServerHarness.sum(
                server.metrics(), "offpath_adapter_calls_total", "handler", HANDLER, "result", "ok"))
        .isEqualTo(2.0);
  }

  @Test
  void aUseCountRunsOutAndTheAdapterIsAskedAgain() throws Exception {
    startIstiosListChecker();
    // valid 60 s but for 5 uses: 20 identical Checks cost one call per 5.
    for (int i = 0; i < 20; i++) {
      assertThat(code("fivetimes")).isZero();
    }
    assertThat(adapter.calls()).isEqualTo(4);
    assertThat(adapter.requests)
        .allSatisfy(r -> assertThat(stringValue(message(instance(r), "value"))).isEqualTo("fivetimes"));
  }

  @Test
  void anAllDefaultCheckResultIsNoOpinionCachedWithTheDefaultValidity() throws Exception {
    startIstiosListChecker();
    // The empty CheckResult: allowed, and valid 1 minute / 10,000 uses, so 300 Checks, one call.
    for (int i = 0; i < 300; i++) {
      CheckResponse r = server.check("source.name", "noopinion");
      assertThat(r.getStatus().getCode()).as(r.getStatus().getMessage()).isZero();
    }
    assertThat(adapter.calls()).isEqualTo(1);
  }
}
