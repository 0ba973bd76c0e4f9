package dev.offpath.controlplane;

import static java.util.Objects.requireNonNull;

import dev.offpath.controlplane.ProxySpec.PolicyFilter;
import dev.offpath.controlplane.ProxySpec.Service;
import dev.offpath.controlplane.ProxySpec.TelemetryFilter;
import dev.offpath.core.config.ConfigDocuments;
import dev.offpath.core.config.ConfigError;
import dev.offpath.core.config.ConfigError.Category;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.config.ConfigText;
import dev.offpath.core.config.Source;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads the {@code EnvoyProxy} declaration from the same YAML files as the Mixer config (documents
 * of {@code apiVersion: offpath.dev/v1alpha1}; the Mixer loader leaves that group alone):
 *
 * <pre>
 * apiVersion: offpath.dev/v1alpha1
 * kind: EnvoyProxy
 * metadata: {name: edge}
 * spec:
 *   listener: {address: 0.0.0.0, port: 10000}  # address optional (0.0.0.0); port 1..65535
 *   policy: ext_authz                          # ext_authz (default) | ext_proc | none
 *   telemetry: access_log                      # access_log (default) | ext_proc | none
 *   failureModeAllow: false                    # default false: fail closed
 *   services:                                  # at least one; routed by longest prefix
 *   - {name: shop, address: 127.0.0.1, port: 8080, prefix: /}   # prefix optional (/)
 * </pre>
 *
 * At most one EnvoyProxy per config. Every problem is reported, each as {@code file:line: message}
 * like the rest of the config ({@link ConfigException}, counted as a load error). YAML syntax errors
 * are left to the Mixer loader, which reads the same files. Thread-safe (stateless).
 */
public final class ProxySpecLoader {

  public static final String API_VERSION = "offpath.dev/v1alpha1";
  public static final String KIND = "EnvoyProxy";

  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9_.]*[a-z0-9])?");

  /**
   * The declaration in {@code texts}, or null when there is none.
   *
   * @throws ConfigException listing every problem found
   */
  public @Nullable ProxySpec load(List<ConfigText> texts) throws ConfigException {
    return load(ConfigDocuments.parse(requireNonNull(texts, "texts")));
  }

  /**
   * The declaration among {@code documents} (the same documents the policy is compiled from), or
   * null when there is none. Files that could not be read or parsed are the policy loader's to
   * report.
   *
   * @throws ConfigException listing every problem found
   */
  public @Nullable ProxySpec load(ConfigDocuments documents) throws ConfigException {
    requireNonNull(documents, "documents");
    Run run = new Run();
    Map<String, Integer> fileOrder = new LinkedHashMap<>();
    for (String file : documents.files()) {
      fileOrder.putIfAbsent(file, fileOrder.size());
    }
    for (ConfigDocuments.Document document : documents.documents()) {
      run.file = document.file();
      if (document.root() instanceof MappingNode m
          && API_VERSION.equals(scalar(run.fields(m, null).get("apiVersion")))) {
        run.document(m);
      }
    }
    if (!run.errors.isEmpty()) {
      List<ConfigError> sorted = new ArrayList<>(run.errors);
      sorted.sort(
          Comparator.<ConfigError>comparingInt(e -> fileOrder.getOrDefault(e.source().file(), 0))
              .thenComparingInt(e -> e.source().line()));
      throw new ConfigException(sorted);
    }
    return run.result;
  }

  /** One load's state. */
  private static final class Run {
    final List<ConfigError> errors = new ArrayList<>();
    @Nullable ProxySpec result;
    @Nullable Source first;
    String file = "";

    void document(MappingNode doc) {
      Map<String, NodeTuple> top = fields(doc, null);
      Source at = at(doc);
      String kind = scalar(top.get("kind"));
      if (!KIND.equals(kind)) {
        error(at, "unknown kind '" + kind + "' in " + API_VERSION + " (expected: " + KIND + ")");
        return;
      }
      String name = null;
      NodeTuple meta = top.get("metadata");
      if (meta != null && meta.getValueNode() instanceof MappingNode m) {
        name = scalar(fields(m, null).get("name"));
      }
      if (name == null || name.isBlank()) {
        error(at, KIND + ": missing metadata.name");
        return;
      }
      String what = KIND + " '" + name + "'";
      if (first != null) {
        error(at, what + ": a second " + KIND + " (the first is at " + first + "; one per config)");
        return;
      }
      first = at;
      NodeTuple specTuple = top.get("spec");
      if (specTuple == null || !(specTuple.getValueNode() instanceof MappingNode spec)) {
        error(at, what + ": spec: missing (expected: a mapping with listener and services)");
        return;
      }
      int errorsBefore = errors.size();
      Map<String, NodeTuple> f =
          fields(
              spec,
              Set.of("listener", "policy", "telemetry", "failureModeAllow", "services"),
              what + ": spec");

      String address = "0.0.0.0";
      int port = 0;
      NodeTuple listener = f.get("listener");
      if (listener == null) {
        error(at(spec), what + ": spec.listener: missing (expected: {port: 1..65535})");
      } else if (!(listener.getValueNode() instanceof MappingNode lm)) {
        error(at(listener.getValueNode()), what + ": spec.listener: expected a mapping");
      } else {
        Map<String, NodeTuple> lf =
            fields(lm, Set.of("address", "port"), what + ": spec.listener");
        String a = string(lf.get("address"), what + ": spec.listener.address");
        if (a != null) {
          address = a;
        }
        port = port(lf.get("port"), at(lm), what + ": spec.listener.port");
      }

      PolicyFilter policy =
          choice(f.get("policy"), PolicyFilter.class, PolicyFilter.EXT_AUTHZ, what + ": spec.policy");
      // ext_proc enforcing also reports each request; a second reporter would count it twice.
      TelemetryFilter telemetry =
          choice(
              f.get("telemetry"),
              TelemetryFilter.class,
              policy == PolicyFilter.EXT_PROC ? TelemetryFilter.EXT_PROC : TelemetryFilter.ACCESS_LOG,
              what + ": spec.telemetry");
      if (policy == PolicyFilter.EXT_PROC && telemetry != TelemetryFilter.EXT_PROC) {
        error(
            at(f.get("telemetry").getValueNode()),
            what
                + ": spec.telemetry: '"
                + telemetry.name().toLowerCase(Locale.ROOT)
                + "' with policy ext_proc (expected: ext_proc, which reports every request it"
                + " checks)");
      }
      boolean failureModeAllow = bool(f.get("failureModeAllow"), what + ": spec.failureModeAllow");

      List<Service> services = new ArrayList<>();
      NodeTuple svc = f.get("services");
      if (svc == null) {
        error(at(spec), what + ": spec.services: missing (expected: at least one service)");
      } else if (!(svc.getValueNode() instanceof SequenceNode seq) || seq.getValue().isEmpty()) {
        error(at(svc.getValueNode()), what + ": spec.services: expected a list of at least one service");
      } else {
        Map<String, Source> names = new LinkedHashMap<>();
        Map<String, Source> prefixes = new LinkedHashMap<>();
        for (int i = 0; i < seq.getValue().size(); i++) {
          Node item = seq.getValue().get(i);
          String path = what + ": spec.services[" + i + "]";
          if (!(item instanceof MappingNode sm)) {
            error(at(item), path + ": expected a mapping with name, address and port");
            continue;
          }
          Map<String, NodeTuple> sf = fields(sm, Set.of("name", "address", "port", "prefix"), path);
          String sname = string(sf.get("name"), path + ".name");
          if (sname == null) {
            error(at(sm), path + ".name: missing");
          } else if (!NAME.matcher(sname).matches()) {
            error(
                at(sf.get("name").getValueNode()),
                path + ".name: '" + sname + "' (expected: lower-case letters, digits, '-', '_', '.')");
          } else if (sname.equals(ControlPlane.OFFPATH_CLUSTER)) {
            error(
                at(sf.get("name").getValueNode()),
                path + ".name: 'offpath' is the bootstrap's cluster for Offpath itself");
            sname = null;
          } else if (names.containsKey(sname)) {
            error(at(sm), path + ".name: duplicate '" + sname + "' (first at " + names.get(sname) + ")");
            sname = null;
          } else {
            names.put(sname, at(sm));
          }
          String saddress = string(sf.get("address"), path + ".address");
          if (saddress == null) {
            error(at(sm), path + ".address: missing");
          }
          int sport = port(sf.get("port"), at(sm), path + ".port");
          String prefix = string(sf.get("prefix"), path + ".prefix");
          if (prefix == null) {
            prefix = "/";
          } else if (!prefix.startsWith("/")) {
            error(at(sf.get("prefix").getValueNode()), path + ".prefix: '" + prefix + "' (expected: starting with /)");
          } else if (prefixes.containsKey(prefix)) {
            error(
                at(sf.get("prefix").getValueNode()),
                path + ".prefix: duplicate '" + prefix + "' (first at " + prefixes.get(prefix) + ")");
          }
          prefixes.putIfAbsent(prefix, at(sm));
          if (sname != null && saddress != null && sport > 0) {
            services.add(new Service(sname, saddress, sport, prefix));
          }
        }
      }
      if (errors.size() == errorsBefore) {
        result = new ProxySpec(name, address, port, policy, telemetry, failureModeAllow, services);
      }
    }

    /** The entries of a mapping by key; unknown keys (when {@code known} is given) are errors. */
    Map<String, NodeTuple> fields(MappingNode m, @Nullable Set<String> known) {
      return fields(m, known, "");
    }

    Map<String, NodeTuple> fields(MappingNode m, @Nullable Set<String> known, String what) {
      Map<String, NodeTuple> out = new LinkedHashMap<>();
      Set<String> seen = new HashSet<>();
      for (NodeTuple t : m.getValue()) {
        String key = t.getKeyNode() instanceof ScalarNode s ? s.getValue() : "";
        if (known != null && !known.contains(key)) {
          error(
              at(t.getKeyNode()),
              what
                  + ": unknown field '"
                  + key
                  + "' (expected one of: "
                  + String.join(", ", sorted(known))
                  + ")");
          continue;
        }
        if (!seen.add(key) && known != null) {
          error(at(t.getKeyNode()), what + ": duplicate field '" + key + "'");
          continue;
        }
        out.put(key, t);
      }
      return out;
    }

    @Nullable String string(@Nullable NodeTuple t, String what) {
      if (t == null) {
        return null;
      }
      String s = scalar(t);
      if (s == null || s.isBlank()) {
        error(at(t.getValueNode()), what + ": expected a non-empty string");
        return null;
      }
      return s;
    }

    int port(@Nullable NodeTuple t, Source parent, String what) {
      if (t == null) {
        error(parent, what + ": missing (expected: 1..65535)");
        return 0;
      }
      String s = scalar(t);
      try {
        int p = Integer.parseInt(s == null ? "" : s.trim());
        if (p >= 1 && p <= 65535) {
          return p;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      error(at(t.getValueNode()), what + ": " + s + " (expected: 1..65535)");
      return 0;
    }

    boolean bool(@Nullable NodeTuple t, String what) {
      if (t == null) {
        return false;
      }
      String s = scalar(t);
      if ("true".equals(s) || "false".equals(s)) {
        return Boolean.parseBoolean(s);
      }
      error(at(t.getValueNode()), what + ": " + s + " (expected: true or false)");
      return false;
    }

    <E extends Enum<E>> E choice(@Nullable NodeTuple t, Class<E> type, E fallback, String what) {
      if (t == null) {
        return fallback;
      }
      String s = scalar(t);
      List<String> names = new ArrayList<>();
      for (E e : type.getEnumConstants()) {
        String yaml = e.name().toLowerCase(Locale.ROOT);
        names.add(yaml);
        if (yaml.equals(s)) {
          return e;
        }
      }
      error(at(t.getValueNode()), what + ": '" + s + "' (expected one of: " + String.join(", ", names) + ")");
      return fallback;
    }

    void error(Source at, String message) {
      errors.add(new ConfigError(at, Category.SYNTAX, message));
    }

    Source at(Node n) {
      return new Source(file, n.getStartMark().getLine() + 1);
    }
  }

  private static @Nullable String scalar(@Nullable NodeTuple t) {
    return t != null && t.getValueNode() instanceof ScalarNode s ? s.getValue() : null;
  }

  private static List<String> sorted(Set<String> s) {
    return s.stream().sorted().toList();
  }
}
