package dev.offpath.server.remote;

import static dev.offpath.server.remote.OopAdapter.OK;
import static dev.offpath.server.remote.OopAdapter.checkResult;
import static dev.offpath.server.remote.OopAdapter.instance;
import static dev.offpath.server.remote.OopAdapter.message;
import static dev.offpath.server.remote.OopAdapter.stringValue;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.offpath.core.testing.MixerReference;
import dev.offpath.server.ServerHarness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloads of an out-of-process handler behind a real Offpath: a reload that keeps the handler's
 * {@code connection} keeps its channel (the adapter sees no new connection), one that moves {@code
 * connection.address} sends every later call to the new adapter and none to the old; {@code
 * /config} shows the handler's adapter, template and address.
 */
class RemoteReloadEndToEndTest {

  private static final String HANDLER = "lister.handler.istio-system";

  /** Rule {@code check} with a match (%s) and the handler at an address (%s). */
  private static final String LISTER =
      """
      apiVersion: config.istio.io/v1alpha2
      kind: adapter
      metadata: {name: lister, namespace: istio-system}
      spec: {session_based: false, templates: [listentry]}
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: instance
      metadata: {name: source, namespace: istio-system}
      spec:
        template: listentry
        params: {value: source.name | "unknown"}
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: rule
      metadata: {name: check, namespace: istio-system}
      spec:
        match: %s
        actions:
        - {handler: lister, instances: [source]}
      ---
      apiVersion: config.istio.io/v1alpha2
      kind: handler
      metadata: {name: lister, namespace: istio-system}
      spec:
        adapter: lister
        connection: {address: "%s", timeout: 2s}
      """;

  @TempDir Path dir;
  private ServerHarness server;
  private OopAdapter first;
  private OopAdapter second;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    for (OopAdapter a : new OopAdapter[] {first, second}) {
      if (a != null) {
        a.close();
      }
    }
  }

  private static List<String> values(OopAdapter a) {
    return a.requests.stream().map(r -> stringValue(message(instance(r), "value"))).toList();
  }

  private JsonNode remoteConfig() throws Exception {
    JsonNode config = new ObjectMapper().readTree(server.admin("/config").body());
    JsonNode handler = config.path("handlers").path(HANDLER);
    assertThat(handler.isObject()).as("/config handlers: %s", config.path("handlers")).isTrue();
    return handler.path("remote");
  }

  @Test
  void aReloadKeepsTheChannelOfAnUnchangedConnectionAndMovesCallsToANewAddress() throws Exception {
    first = new OopAdapter(OopAdapter.template("listentry"), r -> checkResult(OK, "", 60, 1000));
    second = new OopAdapter(OopAdapter.template("listentry"), r -> checkResult(OK, "", 60, 1000));
    Path config = Files.createDirectories(dir.resolve("config"));
    Files.copy(
        MixerReference.file("oop/template-listentry.yaml"), config.resolve("template-listentry.yaml"));
    Path lister = config.resolve("lister.yaml");
    Files.writeString(lister, LISTER.formatted("source.name != \"\"", first.address()));
    server = ServerHarness.start(ServerHarness.options(List.of(config), false));

    assertThat(server.check("source.name", "alice").getStatus().getCode()).isEqualTo(OK);
    assertThat(values(first)).containsExactly("alice");
    assertThat(first.connections).hasValue(1);
    JsonNode remote = remoteConfig();
    assertThat(remote.path("adapter").asText()).isEqualTo("lister");
    assertThat(remote.path("templates").toString()).isEqualTo("[\"listentry\"]");
    assertThat(remote.path("address").asText()).isEqualTo(first.address());
    assertThat(remote.path("timeout").asText()).isEqualTo("PT2S");
    assertThat(remote.path("failurePolicy").asText()).isEqualTo("FAIL_CLOSE");
    assertThat(remote.path("authentication").asText()).isEqualTo("none");

    // The rule changes, the connection does not: the same channel, no new connection.
    Files.writeString(lister, LISTER.formatted("source.name != \"nobody\"", first.address()));
    assertThat(server.server.reload()).isTrue();
    assertThat(server.check("source.name", "bob").getStatus().getCode()).isEqualTo(OK);
    assertThat(values(first)).containsExactly("alice", "bob");
    assertThat(first.connections).hasValue(1);

    // The address moves: every call from now on goes to the second adapter.
    Files.writeString(lister, LISTER.formatted("source.name != \"nobody\"", second.address()));
    assertThat(server.server.reload()).isTrue();
    for (String source : List.of("carol", "dave", "erin")) {
      assertThat(server.check("source.name", source).getStatus().getCode()).isEqualTo(OK);
    }
    assertThat(values(second)).containsExactly("carol", "dave", "erin");
    assertThat(values(first)).containsExactly("alice", "bob");
    assertThat(remoteConfig().path("address").asText()).isEqualTo(second.address());
  }
}
