package dev.offpath.server.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.offpath.cache.CheckCache;
import dev.offpath.cache.CheckCacheStats;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.MeteredHandler;
import dev.offpath.core.config.Action;
import dev.offpath.core.config.HandlerConfig;
import dev.offpath.core.config.InstanceConfig;
import dev.offpath.core.config.PolicyConfig;
import dev.offpath.core.config.RuleConfig;
import dev.offpath.core.runtime.PolicyEngine;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.core.telemetry.DropReason;
import dev.offpath.core.telemetry.ReportPipeline;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * What the introspection page shows, as one JSON tree built per request from the live parts:
 * process, config (version, files, last load), rules with hit counts, handlers with dispatch counts
 * and errors, the check cache, quota handlers, the report pipeline, and the live series of {@link
 * LiveStats}. {@code /debug/stats.json} serves it and {@link IntrospectionPage} renders the same
 * tree as HTML, so the page without JavaScript and the page's live updates show the same numbers.
 *
 * <p>Handler dispatch counts are read from the registry's {@code mixer_runtime_dispatch_count}, the
 * numbers {@code /metrics} serves (they span reloads, as the metric does); rule hits from the live
 * engine (since its config went live). Nothing here runs on the request path.
 *
 * <p>Thread-safe: every call reads the parts afresh.
 */
public final class Introspection {

  private static final Set<String> QUOTA_ADAPTERS = Set.of("memquota", "redisquota");

  /**
   * The parts read.
   *
   * @param cache the check cache, or null when it is turned off
   * @param process static process facts shown as they are (version, ports, transport, …)
   */
  public record Parts(
      PolicyStore store,
      @Nullable CheckCache cache,
      int cacheCapacity,
      ReportPipeline reports,
      PrometheusRegistry registry,
      ConfigLoads loads,
      LiveStats live,
      String configSource,
      Instant startedAt,
      InstantSource clock,
      Supplier<Map<String, Object>> process) {
    public Parts {
      requireNonNull(store, "store");
      requireNonNull(reports, "reports");
      requireNonNull(registry, "registry");
      requireNonNull(loads, "loads");
      requireNonNull(live, "live");
      requireNonNull(configSource, "configSource");
      requireNonNull(startedAt, "startedAt");
      requireNonNull(clock, "clock");
      requireNonNull(process, "process");
    }
  }

  private final Parts parts;
  private final ObjectMapper json = new ObjectMapper();

  public Introspection(Parts parts) {
    this.parts = requireNonNull(parts, "parts");
  }

  /** The whole tree. */
  public ObjectNode snapshot() {
    ObjectNode root = json.createObjectNode();
    root.set("process", process());
    PolicyEngine engine = parts.store().hasConfig() ? parts.store().current() : null;
    root.set("config", config(engine));
    Map<String, DispatchCounts> dispatches = dispatchCounts();
    root.set("rules", rules(engine));
    root.set("handlers", handlers(engine, dispatches));
    root.set("cache", cache());
    root.set("quota", quota(engine, dispatches));
    root.set("reports", reports());
    root.set("series", series());
    return root;
  }

  /** The tree as JSON text. */
  public String json() {
    return snapshot().toString();
  }

  private ObjectNode process() {
    ObjectNode n = json.createObjectNode();
    Instant now = parts.clock().instant();
    n.put("now", now.toString());
    n.put("startedAt", parts.startedAt().toString());
    n.put("uptimeSeconds", Math.max(0, Duration.between(parts.startedAt(), now).toSeconds()));
    n.put("pid", ProcessHandle.current().pid());
    n.put("jvm", System.getProperty("java.vm.name") + " " + Runtime.version());
    n.put("jvmVendor", System.getProperty("java.vm.vendor", ""));
    n.put("processors", Runtime.getRuntime().availableProcessors());
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    n.put("heapUsedBytes", heap.getUsed());
    n.put("heapCommittedBytes", heap.getCommitted());
    n.put("heapMaxBytes", heap.getMax());
    n.put("threads", ManagementFactory.getThreadMXBean().getThreadCount());
    n.put("gc", String.join(", ", ManagementFactory.getGarbageCollectorMXBeans().stream().map(b -> b.getName()).toList()));
    parts.process().get().forEach((k, v) -> n.putPOJO(k, v));
    return n;
  }

  private ObjectNode config(@Nullable PolicyEngine engine) {
    ObjectNode n = json.createObjectNode();
    n.put("source", parts.configSource());
    n.put("version", engine == null ? 0 : engine.version());
    ArrayNode files = n.putArray("files");
    ArrayNode warnings = n.putArray("warnings");
    if (engine != null) {
      PolicyConfig c = engine.config();
      Set<String> names = new TreeSet<>();
      c.handlers().values().forEach(h -> names.add(h.source().file()));
      c.instances().values().forEach(i -> names.add(i.source().file()));
      c.rules().forEach(r -> names.add(r.source().file()));
      names.forEach(files::add);
      c.warnings().forEach(w -> warnings.add(w.toString()));
    }
    ConfigLoads.Load last = parts.loads().last();
    ObjectNode l = n.putObject("lastLoad");
    if (last != null) {
      l.put("time", last.time().toString());
      l.put("result", last.accepted() ? "accepted" : "rejected");
      l.put("version", last.version());
      l.put("totalErrors", last.totalErrors());
      ArrayNode errors = l.putArray("errors");
      last.errors().forEach(errors::add);
    }
    n.put("loadsAccepted", parts.loads().acceptedCount());
    n.put("loadsRejected", parts.loads().rejectedCount());
    return n;
  }

  private ArrayNode rules(@Nullable PolicyEngine engine) {
    ArrayNode out = json.createArrayNode();
    if (engine == null) {
      return out;
    }
    Map<String, Long> hits = engine.ruleHits();
    for (RuleConfig r : engine.config().rules()) {
      ObjectNode n = out.addObject();
      n.put("name", r.name());
      n.put("match", r.match() == null ? "" : r.match().text());
      n.put("hits", hits.getOrDefault(r.name(), 0L));
      ArrayNode actions = n.putArray("actions");
      for (Action a : r.actions()) {
        StringBuilder text = new StringBuilder(a.handler().name()).append(" ← ");
        text.append(String.join(", ", a.instances().stream().map(InstanceConfig::name).toList()));
        actions.add(text.toString());
      }
      n.put("source", r.source().toString());
    }
    return out;
  }

  private ArrayNode handlers(@Nullable PolicyEngine engine, Map<String, DispatchCounts> dispatches) {
    ArrayNode out = json.createArrayNode();
    if (engine == null) {
      return out;
    }
    for (HandlerConfig h : engine.config().handlers().values()) {
      ObjectNode n = out.addObject();
      DispatchCounts d = dispatches.getOrDefault(h.name(), DispatchCounts.NONE);
      n.put("name", h.name());
      n.put("adapter", h.adapter().name());
      n.put("dispatches", d.total);
      n.put("errors", d.errors);
      n.put("templates", String.join(", ", d.templates));
      n.put("source", h.source().toString());
    }
    return out;
  }

  private ObjectNode cache() {
    ObjectNode n = json.createObjectNode();
    CheckCache cache = parts.cache();
    n.put("enabled", cache != null);
    n.put("capacity", parts.cacheCapacity());
    if (cache != null) {
      CheckCacheStats s = cache.stats();
      n.put("hits", s.hits());
      n.put("misses", s.misses());
      long lookups = s.hits() + s.misses();
      n.put("hitRatio", lookups == 0 ? 0 : (double) s.hits() / lookups);
      n.put("entries", s.entries());
      n.put("shapes", s.shapes());
      n.put("writes", s.writes());
      n.put("evictions", s.evictions());
      n.put("shapeOverflows", s.shapeOverflows());
    }
    return n;
  }

  private ArrayNode quota(@Nullable PolicyEngine engine, Map<String, DispatchCounts> dispatches) {
    ArrayNode out = json.createArrayNode();
    if (engine == null) {
      return out;
    }
    for (HandlerConfig h : engine.config().handlers().values()) {
      if (!QUOTA_ADAPTERS.contains(h.adapter().name())) {
        continue;
      }
      ObjectNode n = out.addObject();
      DispatchCounts d = dispatches.getOrDefault(h.name(), DispatchCounts.NONE);
      n.put("handler", h.name());
      n.put("adapter", h.adapter().name());
      n.put("allocations", d.total);
      n.put("errors", d.errors);
      ObjectNode metrics = n.putObject("metrics");
      Handler running = engine.handler(h.name());
      if (running instanceof MeteredHandler metered) {
        metered.collect(
            new MeteredHandler.MetricSink() {
              @Override
              public void counter(String name, String help, double value, String... labels) {
                metrics.put(key(name, labels), value);
              }

              @Override
              public void gauge(String name, String help, double value, String... labels) {
                metrics.put(key(name, labels), value);
              }
            });
      }
    }
    return out;
  }

  private static String key(String name, String[] labels) {
    if (labels.length == 0) {
      return name;
    }
    StringBuilder b = new StringBuilder(name).append('{');
    for (int i = 0; i + 1 < labels.length; i += 2) {
      b.append(i == 0 ? "" : ",").append(labels[i]).append('=').append(labels[i + 1]);
    }
    return b.append('}').toString();
  }

  private ObjectNode reports() {
    ReportPipeline p = parts.reports();
    ObjectNode n = json.createObjectNode();
    n.put("received", p.received());
    n.put("dispatched", p.dispatched());
    n.put("batches", p.batches());
    n.put("queueDepth", p.depth());
    n.put("queueCapacity", p.capacity());
    n.put("instanceErrors", p.instanceErrors());
    ObjectNode dropped = n.putObject("dropped");
    for (DropReason r : DropReason.values()) {
      dropped.put(r.label(), p.dropped(r));
    }
    return n;
  }

  private ArrayNode series() {
    ArrayNode out = json.createArrayNode();
    for (LiveStats.Sample s : parts.live().samples()) {
      ObjectNode n = out.addObject();
      n.put("t", s.epochMillis());
      n.put("checks", round(s.checksPerSecond()));
      n.put("denials", round(s.denialsPerSecond()));
      if (Double.isNaN(s.p99Millis())) {
        n.putNull("p99ms");
      } else {
        n.put("p99ms", Math.round(s.p99Millis() * 1000) / 1000.0);
      }
      n.put("entries", round(s.entriesPerSecond()));
    }
    return out;
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  /** Dispatches per handler, from {@code mixer_runtime_dispatch_count}. */
  private Map<String, DispatchCounts> dispatchCounts() {
    Map<String, DispatchCounts> out = new LinkedHashMap<>();
    for (MetricSnapshot m :
        parts.registry().scrape(name -> name.startsWith("mixer_runtime_dispatch_count"))) {
      if (!(m instanceof CounterSnapshot counter)) {
        continue;
      }
      for (CounterDataPointSnapshot p : counter.getDataPoints()) {
        String handler = p.getLabels().get("handler");
        if (handler == null) {
          continue;
        }
        DispatchCounts d = out.computeIfAbsent(handler, k -> new DispatchCounts());
        long value = (long) p.getValue();
        d.total += value;
        if ("true".equals(p.getLabels().get("error"))) {
          d.errors += value;
        }
        String template = p.getLabels().get("meshFunction");
        if (template != null && value > 0) {
          d.templates.add(template);
        }
      }
    }
    return out;
  }

  private static final class DispatchCounts {
    static final DispatchCounts NONE = new DispatchCounts();
    long total;
    long errors;
    final Set<String> templates = new TreeSet<>();
  }
}
