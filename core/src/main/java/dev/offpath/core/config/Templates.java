package dev.offpath.core.config;

import dev.offpath.core.attribute.ValueType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The Mixer templates Offpath builds instances of, with the shape of each template's fields (from
 * Istio 1.1's template protos). Field names are snake_case as in the protos; config may write them
 * in camelCase too. An instance's compiled fields are keyed by dotted path: {@code value}, {@code
 * dimensions.source}, {@code subject.properties.role}.
 */
final class Templates {

  private Templates() {}

  /** What a template field holds. */
  sealed interface Field {}

  /** One expression; {@code type} null means any type. */
  record Expr(@Nullable ValueType type) implements Field {}

  /**
   * A map from user-chosen keys to expressions of any type ({@code dimensions}, {@code variables}).
   */
  record ExprMap() implements Field {}

  /** A nested message with fields of its own ({@code subject}, {@code action}). */
  record Message(Map<String, Field> fields) implements Field {}

  /**
   * Accepted for compatibility and not used (Stackdriver's monitored resource, …); not compiled.
   */
  record Ignored() implements Field {}

  /** A template: its name, what the runtime does with its instances, and its top-level fields. */
  record Template(String name, Variety variety, Message fields) {}

  private static final Field ANY = new Expr(null);
  private static final Field STRING = new Expr(ValueType.STRING);
  private static final Field MAP = new ExprMap();
  private static final Field IGNORED = new Ignored();

  private static final Map<String, Template> SUPPORTED = supported();

  /**
   * Mixer templates Offpath knows of but does not build: an instance of one loads with a warning
   * and rule actions using it are skipped. {@code kubernetes} is the attribute generator that fed
   * the {@code kubernetesenv} adapter.
   */
  static final Set<String> KNOWN_UNSUPPORTED =
      Set.of("apikey", "tracespan", "kubernetes", "edge", "servicecontrolreport", "analytics");

  private static Map<String, Template> supported() {
    Map<String, Template> t = new LinkedHashMap<>();
    add(t, "checknothing", Variety.CHECK, Map.of());
    add(t, "reportnothing", Variety.REPORT, Map.of());
    add(t, "listentry", Variety.CHECK, Map.of("value", ANY));
    add(t, "quota", Variety.QUOTA, Map.of("dimensions", MAP));
    add(
        t,
        "metric",
        Variety.REPORT,
        ordered(
            "value", ANY,
            "dimensions", MAP,
            "monitored_resource_type", IGNORED,
            "monitored_resource_dimensions", IGNORED));
    add(
        t,
        "logentry",
        Variety.REPORT,
        ordered(
            "severity", STRING,
            "timestamp", new Expr(ValueType.TIMESTAMP),
            "variables", MAP,
            "timestamp_format", IGNORED,
            "monitored_resource_type", IGNORED,
            "monitored_resource_dimensions", IGNORED));
    add(
        t,
        "authorization",
        Variety.CHECK,
        ordered(
            "subject", new Message(ordered("user", STRING, "groups", STRING, "properties", MAP)),
            "action",
                new Message(
                    ordered(
                        "namespace", STRING,
                        "service", STRING,
                        "method", STRING,
                        "path", STRING,
                        "properties", MAP))));
    return Map.copyOf(t);
  }

  private static void add(
      Map<String, Template> t, String name, Variety variety, Map<String, Field> fields) {
    t.put(name, new Template(name, variety, new Message(fields)));
  }

  /** A map keeping the given order, so "expected:" lists read as the template declares them. */
  private static Map<String, Field> ordered(Object... keysAndFields) {
    Map<String, Field> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndFields.length; i += 2) {
      m.put((String) keysAndFields[i], (Field) keysAndFields[i + 1]);
    }
    return m;
  }

  static @Nullable Template find(String name) {
    return SUPPORTED.get(name);
  }

  /** Supported or known-unsupported: names that are template kinds in Istio 1.0 config. */
  static boolean isTemplateKind(String kind) {
    return SUPPORTED.containsKey(kind) || KNOWN_UNSUPPORTED.contains(kind);
  }

  /** The variety of a compiled-in template, or null for a name that is not one. */
  static @Nullable Variety variety(String template) {
    Template t = SUPPORTED.get(template);
    return t == null ? null : t.variety();
  }

  static Set<String> names() {
    return SUPPORTED.keySet();
  }
}
