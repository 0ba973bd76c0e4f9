package dev.offpath.accesslog;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.offpath.core.attribute.StringMap;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage.Identifier;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The reporting proxy of one access-log stream, from the stream's first message ({@link
 * Identifier}): who it is, as attributes, prepared once for both directions. On an inbound entry
 * the proxy is the destination ({@code destination.workload.name}, …); on an outbound entry it is
 * the source. Istio's node metadata is read when present: {@code NAME}, {@code NAMESPACE}, {@code
 * LABELS}, {@code WORKLOAD_NAME}, {@code OWNER}, {@code SERVICE_ACCOUNT}; otherwise the pod name and
 * namespace come from an Istio node id ({@code sidecar~10.0.0.1~reviews-v1-abc.default~…}).
 * Immutable.
 */
public final class StreamReporter {

  /** A reporter that says nothing about itself (an Envoy without node metadata). */
  public static final StreamReporter ANONYMOUS = of(Identifier.getDefaultInstance());

  private final String logName;
  private final @Nullable Object[] inbound;
  private final @Nullable Object[] outbound;

  private StreamReporter(String logName, @Nullable Object[] inbound, @Nullable Object[] outbound) {
    this.logName = logName;
    this.inbound = inbound;
    this.outbound = outbound;
  }

  public static StreamReporter of(Identifier identifier) {
    requireNonNull(identifier, "identifier");
    Node node = identifier.getNode();
    Struct meta = node.getMetadata();
    String name = string(meta, "NAME");
    String namespace = string(meta, "NAMESPACE");
    if (name == null || namespace == null) {
      // Istio node id: type~ip~pod.namespace~domain
      String[] parts = node.getId().split("~", -1);
      if (parts.length == 4) {
        int dot = parts[2].lastIndexOf('.');
        if (dot > 0) {
          name = name == null ? parts[2].substring(0, dot) : name;
          namespace = namespace == null ? parts[2].substring(dot + 1) : namespace;
        }
      }
    }
    StringMap labels = labels(meta);
    String uid = name != null && namespace != null ? "kubernetes://" + name + "." + namespace : null;
    Map<String, Object> side = new LinkedHashMap<>();
    putIfNotNull(side, "uid", uid);
    putIfNotNull(side, "name", name);
    putIfNotNull(side, "namespace", namespace);
    putIfNotNull(side, "labels", labels);
    putIfNotNull(side, "owner", string(meta, "OWNER"));
    putIfNotNull(side, "serviceAccount", string(meta, "SERVICE_ACCOUNT"));
    putIfNotNull(side, "workload.name", string(meta, "WORKLOAD_NAME"));
    putIfNotNull(side, "workload.namespace", namespace);
    return new StreamReporter(
        identifier.getLogName(),
        prepare("destination", "inbound", side, uid),
        prepare("source", "outbound", side, uid));
  }

  private static @Nullable Object[] prepare(
      String prefix, String kind, Map<String, Object> side, @Nullable String uid) {
    @Nullable Object[] values = new Object[EntryAttributes.SIZE];
    side.forEach((k, v) -> values[EntryAttributes.slot(prefix + "." + k)] = v);
    values[EntryAttributes.slot("context.reporter.kind")] = kind;
    if (uid != null) {
      values[EntryAttributes.slot("context.reporter.uid")] = uid;
    }
    return values;
  }

  private static void putIfNotNull(Map<String, Object> m, String key, @Nullable Object value) {
    if (value != null) {
      m.put(key, value);
    }
  }

  private static @Nullable String string(Struct meta, String key) {
    Value v = meta.getFieldsMap().get(key);
    return v != null && v.hasStringValue() && !v.getStringValue().isEmpty()
        ? v.getStringValue()
        : null;
  }

  private static @Nullable StringMap labels(Struct meta) {
    Value v = meta.getFieldsMap().get("LABELS");
    if (v == null || !v.hasStructValue()) {
      return null;
    }
    Map<String, String> out = new LinkedHashMap<>();
    v.getStructValue()
        .getFieldsMap()
        .forEach(
            (k, x) -> {
              if (x.hasStringValue()) {
                out.put(k, x.getStringValue());
              }
            });
    return StringMap.of(out);
  }

  /** The stream's log name (the access logger's {@code log_name}). */
  public String logName() {
    return logName;
  }

  /** A fresh attribute array holding the reporter's attributes for an entry of this direction. */
  @Nullable Object[] start(boolean outboundEntry) {
    return (outboundEntry ? outbound : inbound).clone();
  }
}
