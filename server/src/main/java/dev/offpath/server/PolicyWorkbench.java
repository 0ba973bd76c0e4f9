package dev.offpath.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.attribute.AttributeJson;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.config.ConfigLoader;
import dev.offpath.core.runtime.PolicyEngine;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.core.runtime.RuntimeMetrics;
import dev.offpath.core.runtime.RuntimeServices;
import dev.offpath.core.time.Ticker;
import dev.offpath.envoy.attributes.InvalidRequestException;
import dev.offpath.envoy.attributes.RequestAttributes;
import dev.offpath.envoy.attributes.RequestLimits;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The policy of {@code offpath explain} and {@code offpath verify}, offline: the config (or the
 * embedded default) loaded as {@code serve} loads it, one engine with the real adapters, and the two
 * ways in — attributes as JSON (typed by the manifest, as {@code eval --attrs}) or a {@code
 * CheckRequest} in protobuf JSON mapped by the server's own code ({@link RequestAttributes}, the
 * limits ext_authz applies). No check cache: by its design a cached answer equals the evaluated one.
 *
 * <p>Not thread-safe; one command at a time. Close it to stop the handlers and their scheduler.
 */
final class PolicyWorkbench implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ScheduledExecutorService scheduler;
  private final PolicyStore store;

  private PolicyWorkbench(ScheduledExecutorService scheduler, PolicyStore store) {
    this.scheduler = scheduler;
    this.store = store;
  }

  /**
   * Loads {@code config} (files and directories; empty: the embedded default config).
   *
   * @throws ConfigException when the config is invalid
   */
  static PolicyWorkbench load(List<Path> config) throws ConfigException, IOException {
    AdapterRegistry adapters = AdapterRegistry.installed();
    ConfigSource source = new ConfigSource(new ConfigLoader(adapters), config);
    ScheduledExecutorService scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "offpath-workbench");
              t.setDaemon(true);
              return t;
            });
    PolicyStore store =
        new PolicyStore(
            new RuntimeServices(
                adapters, Ticker.system(), Clock.systemUTC(), scheduler, RuntimeMetrics.NOOP, false));
    try {
      store.install(source.load().policy());
    } catch (ConfigException | IOException | RuntimeException e) {
      store.close();
      scheduler.shutdownNow();
      throw e;
    }
    return new PolicyWorkbench(scheduler, store);
  }

  PolicyEngine engine() {
    return store.current();
  }

  /**
   * Attributes from a JSON object typed by the manifest.
   *
   * @throws IllegalArgumentException for a value the manifest does not accept
   */
  Attributes attributes(String json) {
    return AttributeJson.parse(json, store.manifest());
  }

  /** Attributes from any JSON-able value (a YAML mapping of a verify case). */
  Attributes attributes(Object value) throws IOException {
    return attributes(JSON.writeValueAsString(value));
  }

  /**
   * The attributes the server would decide a {@code CheckRequest} on.
   *
   * @throws InvalidProtocolBufferException when the JSON is not a CheckRequest
   * @throws InvalidRequestException when the server would refuse the request (400 INVALID_ARGUMENT)
   */
  Attributes request(String json) throws InvalidProtocolBufferException, InvalidRequestException {
    CheckRequest.Builder b = CheckRequest.newBuilder();
    JsonFormat.parser().merge(json, b);
    return RequestAttributes.of(b.getAttributes(), store.manifest(), RequestLimits.DEFAULT);
  }

  /** {@link #request(String)} for a YAML mapping of a verify case. */
  Attributes request(Object value)
      throws IOException, InvalidRequestException {
    return request(JSON.writeValueAsString(value));
  }

  @Override
  public void close() {
    store.close();
    scheduler.shutdownNow();
  }
}
