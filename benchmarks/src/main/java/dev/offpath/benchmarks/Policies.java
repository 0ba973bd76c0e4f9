package dev.offpath.benchmarks;

import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.config.ConfigLoader;
import dev.offpath.core.config.ConfigText;
import dev.offpath.core.config.PolicyConfig;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.core.runtime.RuntimeMetrics;
import dev.offpath.core.runtime.RuntimeServices;
import dev.offpath.core.time.Ticker;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** Realistic policies for the benchmarks, as Mixer YAML. */
public final class Policies {

  private Policies() {}

  /**
   * Twenty rules: eighteen deniers that each match one service and one user (so every request
   * evaluates all eighteen matches and reads {@code destination.service.name} and the {@code
   * x-user} header), an IP blacklist with CIDRs and a case-insensitive user-agent whitelist.
   */
  public static String twentyRules() {
    StringBuilder yaml = new StringBuilder();
    for (int i = 0; i < 18; i++) {
      yaml.append(
          """
          apiVersion: config.istio.io/v1alpha2
          kind: handler
          metadata: {name: deny%1$d, namespace: istio-system}
          spec:
            compiledAdapter: denier
            params: {status: {code: 7, message: "blocked %1$d"}}
          ---
          apiVersion: config.istio.io/v1alpha2
          kind: instance
          metadata: {name: nothing%1$d, namespace: istio-system}
          spec: {compiledTemplate: checknothing}
          ---
          apiVersion: config.istio.io/v1alpha2
          kind: rule
          metadata: {name: deny%1$d, namespace: istio-system}
          spec:
            match: destination.service.name == "svc-%1$d" && request.headers["x-user"] == "blocked-%1$d"
            actions:
            - handler: deny%1$d.handler
              instances: [nothing%1$d.instance]
          ---
          """
              .formatted(i));
    }
    yaml.append(
        """
        apiVersion: config.istio.io/v1alpha2
        kind: handler
        metadata: {name: ipblacklist, namespace: istio-system}
        spec:
          compiledAdapter: listchecker
          params:
            overrides: ["203.0.113.0/24", "198.51.100.7", "2001:db8::/32"]
            entryType: IP_ADDRESSES
            blacklist: true
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: instance
        metadata: {name: sourceip, namespace: istio-system}
        spec:
          compiledTemplate: listentry
          params: {value: source.ip | ip("0.0.0.0")}
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: rule
        metadata: {name: checkip, namespace: istio-system}
        spec:
          actions:
          - handler: ipblacklist.handler
            instances: [sourceip.instance]
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: handler
        metadata: {name: agents, namespace: istio-system}
        spec:
          compiledAdapter: listchecker
          params:
            overrides: ["curl", "envoy", "bookinfo-frontend", "okhttp"]
            entryType: CASE_INSENSITIVE_STRINGS
            blacklist: false
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: instance
        metadata: {name: useragent, namespace: istio-system}
        spec:
          compiledTemplate: listentry
          params: {value: request.useragent | "unknown"}
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: rule
        metadata: {name: checkagent, namespace: istio-system}
        spec:
          match: request.url_path.startsWith("/api")
          actions:
          - handler: agents.handler
            instances: [useragent.instance]
        """);
    return yaml.toString();
  }

  public static PolicyConfig load(String yaml) {
    try {
      return new ConfigLoader(AdapterRegistry.installed())
          .loadTexts(List.of(new ConfigText("benchmark.yaml", yaml)));
    } catch (ConfigException e) {
      throw new IllegalStateException("benchmark policy does not load: " + e.getMessage(), e);
    }
  }

  /** A store serving {@code yaml}, on the system ticker; close it after the benchmark. */
  public static PolicyStore store(String yaml) {
    ScheduledExecutorService scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "benchmark-scheduler");
              t.setDaemon(true);
              return t;
            });
    PolicyStore store =
        new PolicyStore(
            new RuntimeServices(
                AdapterRegistry.installed(),
                Ticker.system(),
                InstantSource.system(),
                scheduler,
                RuntimeMetrics.NOOP,
                false));
    try {
      store.install(load(yaml));
    } catch (ConfigException e) {
      throw new IllegalStateException("benchmark policy does not start: " + e.getMessage(), e);
    }
    return store;
  }
}
