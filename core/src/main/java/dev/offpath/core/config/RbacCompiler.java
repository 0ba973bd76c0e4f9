package dev.offpath.core.config;

import static dev.offpath.core.config.YamlNodes.entries;
import static dev.offpath.core.config.YamlNodes.isNull;
import static dev.offpath.core.config.YamlNodes.line;
import static dev.offpath.core.config.YamlNodes.text;

import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.config.ConfigError.Category;
import dev.offpath.core.config.References.Active;
import dev.offpath.core.config.YamlNodes.Entry;
import dev.offpath.core.rbac.AccessRule;
import dev.offpath.core.rbac.RbacKey;
import dev.offpath.core.rbac.RbacPolicy;
import dev.offpath.core.rbac.RbacPolicyConsumer;
import dev.offpath.core.rbac.RbacScope;
import dev.offpath.core.rbac.ServiceRole;
import dev.offpath.core.rbac.ServiceRoleBinding;
import dev.offpath.core.rbac.Spelling;
import dev.offpath.core.rbac.Subject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Istio's RBAC objects: {@code ServiceRole}, {@code ServiceRoleBinding}, {@code RbacConfig} and
 * {@code ClusterRbacConfig}, under {@code config.istio.io/v1alpha2} (Istio 0.8: keys name the {@code
 * authorization} instance's properties) or {@code rbac.istio.io/v1alpha1} (Istio 1.0: keys name
 * request attributes, checked against the effective manifest). They compile into one {@link
 * RbacPolicy}, handed to every handler whose adapter consumes it (the {@code rbac} adapter, {@link
 * RbacPolicyConsumer}); runs after handlers for that reason, and after manifests for the keys.
 *
 * <p>Errors, each at its line: unknown fields, a constraint or property key that names no attribute
 * (1.0) or names one (0.8, where keys are property names), a binding whose {@code roleRef} names no
 * {@code ServiceRole} of its namespace or another kind, duplicates. Warnings: a rule that can never
 * match (no services or no methods, as Mixer read them), an {@code RbacConfig} not named {@code
 * default} (Istio reads only that one), an {@code RbacConfig} beside a {@code ClusterRbacConfig}
 * (which wins), RBAC objects without any {@code rbac} handler to use them.
 */
final class RbacCompiler implements KindCompiler {

  static final String RBAC_V1ALPHA1 = "rbac.istio.io/v1alpha1";

  private static final String ROLE = "ServiceRole";
  private static final String BINDING = "ServiceRoleBinding";
  private static final String CONFIG = "RbacConfig";
  private static final String CLUSTER_CONFIG = "ClusterRbacConfig";
  private static final Set<String> KINDS = Set.of(ROLE, BINDING, CONFIG, CLUSTER_CONFIG);

  @Override
  public boolean accepts(String apiVersion, String kind, Compilation c) {
    return KINDS.contains(kind)
        && (apiVersion.equals(RBAC_V1ALPHA1) || apiVersion.equals(PolicyCompiler.CONFIG_V1ALPHA2));
  }

  @Override
  public void compile(List<ConfigObject> objects, Compilation c) {
    Map<String, RoleDraft> roles = new LinkedHashMap<>();
    Map<String, Source> seenBindings = new HashMap<>();
    Set<String> failedRoles = new HashSet<>();
    for (ConfigObject o : objects) {
      if (o.kind().equals(ROLE)) {
        role(o, c, roles, failedRoles);
      }
    }
    for (ConfigObject o : objects) {
      if (o.kind().equals(BINDING)) {
        binding(o, c, roles, failedRoles, seenBindings);
      }
    }
    RbacScope scope = scope(objects, c);
    List<ServiceRole> compiled = new ArrayList<>();
    for (RoleDraft d : roles.values()) {
      compiled.add(new ServiceRole(d.name, d.namespace, d.spelling, d.rules, d.bindings));
    }
    RbacPolicy policy = new RbacPolicy(compiled, scope);
    int consumers = bind(policy, c);
    if (consumers == 0 && !objects.isEmpty()) {
      c.warning(
          objects.get(0).source(),
          "RBAC objects are not used: no handler of the rbac adapter (kind: rbac) in the config");
    }
  }

  /** A role being compiled: its bindings are added as they are found. */
  private static final class RoleDraft {
    final String name;
    final String namespace;
    final Spelling spelling;
    final List<AccessRule> rules;
    final List<ServiceRoleBinding> bindings = new ArrayList<>();

    RoleDraft(String name, String namespace, Spelling spelling, List<AccessRule> rules) {
      this.name = name;
      this.namespace = namespace;
      this.spelling = spelling;
      this.rules = rules;
    }
  }

  private static Spelling spelling(ConfigObject o) {
    return o.apiVersion().equals(RBAC_V1ALPHA1) ? Spelling.ATTRIBUTES : Spelling.MIXER;
  }

  /**
   * An object's identity: the two API groups are distinct resources (as in Kubernetes, where both
   * spellings of a role may exist under one name), and a binding refers to a role of its own group
   * and namespace.
   */
  private static String id(ConfigObject o, String name) {
    return o.apiVersion() + "/" + o.namespace() + "/" + name;
  }

  private static String what(ConfigObject o) {
    return o.kind() + " '" + o.qualifiedName() + "'";
  }

  // --- ServiceRole

  private static void role(
      ConfigObject o, Compilation c, Map<String, RoleDraft> roles, Set<String> failed) {
    String what = what(o);
    String id = id(o, o.name());
    RoleDraft prior = roles.get(id);
    if (prior != null || failed.contains(id)) {
      c.error(o.source(), Category.HANDLER, "duplicate " + what);
      return;
    }
    int errors = c.errorCount();
    MappingNode spec = c.specMapping(o, Category.HANDLER, what);
    List<AccessRule> rules = new ArrayList<>();
    if (spec != null) {
      Entry r = c.known(o, spec, Category.HANDLER, what, "rules").get("rules");
      for (Item item : list(o, c, what, r, "rules")) {
        AccessRule rule = rule(o, c, what + ": " + item.path, item.node);
        if (rule != null) {
          rules.add(rule);
          if (rule.services().isEmpty() || rule.methods().isEmpty()) {
            c.warning(
                o.at(line(item.node)),
                what
                    + ": "
                    + item.path
                    + " never matches (no "
                    + (rule.services().isEmpty() ? "services" : "methods")
                    + "; Mixer's rbac adapter required both)");
          }
        }
      }
    }
    if (c.errorCount() != errors) {
      failed.add(id);
      return;
    }
    roles.put(id, new RoleDraft(o.name(), o.namespace(), spelling(o), rules));
  }

  private static @Nullable AccessRule rule(ConfigObject o, Compilation c, String what, Node node) {
    if (!(node instanceof MappingNode m)) {
      c.error(o.at(line(node)), Category.HANDLER, what + ": expected a map");
      return null;
    }
    Map<String, Entry> f =
        c.known(o, m, Category.HANDLER, what, "services", "paths", "methods", "constraints");
    List<String> services = strings(o, c, what, f.get("services"));
    List<String> paths = strings(o, c, what, f.get("paths"));
    List<String> methods = strings(o, c, what, f.get("methods"));
    List<AccessRule.Constraint> constraints = new ArrayList<>();
    boolean valid = true;
    for (Item item : list(o, c, what, f.get("constraints"), "constraints")) {
      String at = what + ": " + item.path;
      if (!(item.node instanceof MappingNode cm)) {
        c.error(o.at(line(item.node)), Category.HANDLER, at + ": expected a map with key and values");
        valid = false;
        continue;
      }
      Map<String, Entry> cf = c.known(o, cm, Category.HANDLER, at, "key", "values");
      Entry k = cf.get("key");
      String keyText = k == null ? null : text(k.value());
      if (k == null || keyText == null || keyText.isBlank()) {
        c.error(o.at(line(item.node)), Category.HANDLER, at + ": missing key");
        valid = false;
        continue;
      }
      RbacKey key = key(o, c, at, keyText, k.line(), "constraint");
      List<String> values = strings(o, c, at, cf.get("values"));
      if (key == null) {
        valid = false;
      } else {
        constraints.add(new AccessRule.Constraint(key, values));
      }
    }
    return valid ? new AccessRule(services, paths, methods, constraints) : null;
  }

  /**
   * A key in the object's spelling: an instance property name (0.8), or an attribute, {@code
   * name} or {@code name[key]} of a STRING_MAP (1.0), known to the effective manifest.
   */
  private static @Nullable RbacKey key(
      ConfigObject o, Compilation c, String what, String text, int line, String kindOfKey) {
    int open = text.indexOf('[');
    if (spelling(o) == Spelling.MIXER) {
      if (open >= 0) {
        c.error(
            o.at(line),
            Category.HANDLER,
            what
                + ": bad "
                + kindOfKey
                + " key '"
                + text
                + "' (in "
                + PolicyCompiler.CONFIG_V1ALPHA2
                + " a key names a property of the authorization instance, such as 'app'; attribute"
                + " keys need apiVersion "
                + RBAC_V1ALPHA1
                + ")");
        return null;
      }
      return RbacKey.property(text);
    }
    String attribute = open < 0 ? text : text.substring(0, open);
    ValueType type = c.manifest().typeOf(attribute);
    String problem = null;
    RbacKey key = null;
    if (open >= 0 && (!text.endsWith("]") || open + 1 >= text.length() - 1)) {
      problem = "expected name[key]";
    } else if (type == null) {
      problem = "no attribute '" + attribute + "' in the manifest";
    } else if (open >= 0 && type != ValueType.STRING_MAP) {
      problem = "'" + attribute + "' is " + type + ", not a STRING_MAP";
    } else if (open < 0 && type == ValueType.STRING_MAP) {
      problem = "'" + attribute + "' is a STRING_MAP (expected: " + attribute + "[key])";
    } else {
      key =
          open < 0
              ? RbacKey.attribute(attribute)
              : RbacKey.mapEntry(attribute, text.substring(open + 1, text.length() - 1));
    }
    if (problem != null) {
      c.error(
          o.at(line),
          Category.HANDLER,
          what
              + ": bad "
              + kindOfKey
              + " key '"
              + text
              + "': "
              + problem
              + " (expected: an attribute such as source.namespace or destination.labels[app])");
    }
    return key;
  }

  // --- ServiceRoleBinding

  private static void binding(
      ConfigObject o,
      Compilation c,
      Map<String, RoleDraft> roles,
      Set<String> failedRoles,
      Map<String, Source> seen) {
    String what = what(o);
    if (c.duplicate(seen, id(o, o.name()), o, Category.HANDLER, what)) {
      return;
    }
    MappingNode spec = c.specMapping(o, Category.HANDLER, what);
    if (spec == null) {
      return;
    }
    int errors = c.errorCount();
    Map<String, Entry> f = c.known(o, spec, Category.HANDLER, what, "subjects", "roleRef");
    List<Subject> subjects = new ArrayList<>();
    for (Item item : list(o, c, what, f.get("subjects"), "subjects")) {
      Subject s = subject(o, c, what + ": " + item.path, item.node);
      if (s != null) {
        subjects.add(s);
      }
    }
    if (subjects.isEmpty() && c.errorCount() == errors) {
      c.error(o.at(o.specLine()), Category.HANDLER, what + ": no subjects (expected: at least one)");
    }
    Entry ref = f.get("roleRef");
    RoleDraft role = null;
    if (ref == null || !(ref.value() instanceof MappingNode rm)) {
      c.error(
          o.at(ref == null ? o.specLine() : ref.line()),
          Category.HANDLER,
          what + ": roleRef: expected a map with kind and name");
    } else {
      Map<String, Entry> rf = c.known(o, rm, Category.HANDLER, what + ": roleRef", "kind", "name");
      Entry kind = rf.get("kind");
      Entry name = rf.get("name");
      String kindText = kind == null ? null : text(kind.value());
      String nameText = name == null ? null : text(name.value());
      if (!ROLE.equals(kindText)) {
        c.error(
            o.at(kind == null ? ref.line() : kind.line()),
            Category.HANDLER,
            what + ": roleRef.kind: " + kindText + " (expected: " + ROLE + ")");
      } else if (name == null || nameText == null || nameText.isBlank()) {
        c.error(o.at(ref.line()), Category.HANDLER, what + ": roleRef: missing name");
      } else {
        String id = id(o, nameText);
        role = roles.get(id);
        if (role == null && !failedRoles.contains(id)) {
          c.error(
              o.at(name.line()),
              Category.HANDLER,
              what
                  + ": roleRef: unknown ServiceRole '"
                  + nameText
                  + "' (expected: a ServiceRole of "
                  + o.apiVersion()
                  + " in namespace "
                  + o.namespace()
                  + ")");
        }
      }
    }
    if (role != null && c.errorCount() == errors) {
      role.bindings.add(new ServiceRoleBinding(o.name(), spelling(o), subjects));
    }
  }

  private static @Nullable Subject subject(ConfigObject o, Compilation c, String what, Node node) {
    if (!(node instanceof MappingNode m)) {
      c.error(o.at(line(node)), Category.HANDLER, what + ": expected a map");
      return null;
    }
    Map<String, Entry> f = c.known(o, m, Category.HANDLER, what, "user", "group", "properties");
    String user = scalar(o, c, what, f.get("user"));
    String group = scalar(o, c, what, f.get("group"));
    List<Subject.Property> properties = new ArrayList<>();
    boolean valid = user != null && group != null;
    Entry p = f.get("properties");
    if (p != null && !isNull(p.value())) {
      if (!(p.value() instanceof MappingNode pm)) {
        c.error(o.at(p.line()), Category.HANDLER, what + ": properties: expected a map");
        return null;
      }
      for (Entry e : entries(pm, c.duplicates(o.source().file(), Category.HANDLER, what)).values()) {
        RbacKey key = key(o, c, what + ": properties", e.key(), e.line(), "property");
        String value = text(e.value());
        if (value == null) {
          c.error(o.at(e.line()), Category.HANDLER, what + ": properties." + e.key() + ": expected a string");
          valid = false;
        } else if (key == null) {
          valid = false;
        } else {
          properties.add(new Subject.Property(key, value));
        }
      }
    }
    if (!valid || user == null || group == null) {
      return null;
    }
    if (user.isEmpty() && group.isEmpty() && properties.isEmpty()) {
      c.warning(
          o.at(line(node)),
          what + ": no user, group or properties; matches nobody (as in Mixer)");
    }
    return new Subject(user, group, properties);
  }

  // --- RbacConfig / ClusterRbacConfig

  private static RbacScope scope(List<ConfigObject> objects, Compilation c) {
    ConfigObject cluster = null;
    ConfigObject namespaced = null;
    for (ConfigObject o : objects) {
      boolean isCluster = o.kind().equals(CLUSTER_CONFIG);
      if (!isCluster && !o.kind().equals(CONFIG)) {
        continue;
      }
      if (!o.name().equals("default")) {
        c.warning(
            o.source(),
            what(o) + ": not named 'default'; skipped (Istio reads only the one named default)");
        continue;
      }
      ConfigObject first = isCluster ? cluster : namespaced;
      if (first != null) {
        c.error(
            o.source(),
            Category.HANDLER,
            "duplicate " + what(o) + " (first defined at " + first.source() + ")");
        continue;
      }
      if (isCluster) {
        cluster = o;
      } else {
        namespaced = o;
      }
    }
    if (cluster != null && namespaced != null) {
      c.warning(
          namespaced.source(),
          what(namespaced) + ": superseded by " + what(cluster) + "; skipped");
    }
    ConfigObject o = cluster != null ? cluster : namespaced;
    if (o == null) {
      return RbacScope.ALWAYS;
    }
    String what = what(o);
    MappingNode spec = c.specMapping(o, Category.HANDLER, what);
    if (spec == null) {
      return RbacScope.ALWAYS;
    }
    Map<String, Entry> f =
        c.known(o, spec, Category.HANDLER, what, "mode", "inclusion", "exclusion", "enforcementMode");
    RbacScope.Mode mode =
        choice(o, c, what, f.get("mode"), RbacScope.Mode.class, RbacScope.Mode.OFF);
    Enforcement enforcement =
        choice(o, c, what, f.get("enforcementMode"), Enforcement.class, Enforcement.ENFORCED);
    Entry listed =
        switch (mode) {
          case ON_WITH_INCLUSION -> f.get("inclusion");
          case ON_WITH_EXCLUSION -> f.get("exclusion");
          default -> null;
        };
    Set<String> namespaces = Set.of();
    Set<String> services = Set.of();
    if (listed != null && listed.value() instanceof MappingNode target) {
      Map<String, Entry> tf =
          c.known(o, target, Category.HANDLER, what + ": " + listed.key(), "services", "namespaces");
      namespaces = Set.copyOf(strings(o, c, what, tf.get("namespaces")));
      services = Set.copyOf(strings(o, c, what, tf.get("services")));
    } else if (listed != null && !isNull(listed.value())) {
      c.error(o.at(listed.line()), Category.HANDLER, what + ": " + listed.key() + ": expected a map");
    }
    for (String unused : List.of("inclusion", "exclusion")) {
      Entry e = f.get(unused);
      if (e != null && e != listed && !isNull(e.value())) {
        c.warning(o.at(e.line()), what + ": " + unused + " has no effect in mode " + mode);
      }
    }
    return new RbacScope(mode, namespaces, services, enforcement == Enforcement.PERMISSIVE);
  }

  /** Istio 1.1's {@code EnforcementMode}. */
  private enum Enforcement {
    ENFORCED,
    PERMISSIVE
  }

  // --- binding the policy to its handlers

  /** Gives {@code policy} to every handler whose adapter consumes it; returns how many. */
  private static int bind(RbacPolicy policy, Compilation c) {
    Map<References.Key, HandlerConfig> bound = new LinkedHashMap<>();
    c.handlers.forEachActive(
        (key, h) -> {
          if (h.adapter() instanceof RbacPolicyConsumer<?> consumer) {
            bound.put(
                key,
                new HandlerConfig(
                    h.name(), h.adapter(), withPolicy(consumer, h.adapterConfig(), policy), h.source()));
          }
        });
    bound.forEach((key, h) -> c.handlers.put(key, new Active<>(h, h.source())));
    return bound.size();
  }

  @SuppressWarnings("unchecked")
  private static <C> Object withPolicy(RbacPolicyConsumer<C> consumer, Object config, RbacPolicy p) {
    return consumer.withPolicy((C) config, p);
  }

  // --- small readers

  private record Item(String path, Node node) {}

  private static List<Item> list(
      ConfigObject o, Compilation c, String what, @Nullable Entry e, String name) {
    if (e == null || isNull(e.value())) {
      return List.of();
    }
    if (!(e.value() instanceof SequenceNode seq)) {
      c.error(o.at(e.line()), Category.HANDLER, what + ": " + name + ": expected a list");
      return List.of();
    }
    List<Item> out = new ArrayList<>();
    for (int i = 0; i < seq.getValue().size(); i++) {
      out.add(new Item(name + "[" + i + "]", seq.getValue().get(i)));
    }
    return out;
  }

  private static List<String> strings(ConfigObject o, Compilation c, String what, @Nullable Entry e) {
    if (e == null || isNull(e.value())) {
      return List.of();
    }
    if (!(e.value() instanceof SequenceNode seq)) {
      c.error(o.at(e.line()), Category.HANDLER, what + ": " + e.key() + ": expected a list of strings");
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (Node n : seq.getValue()) {
      String t = text(n);
      if (t == null) {
        c.error(o.at(line(n)), Category.HANDLER, what + ": " + e.key() + ": expected strings");
      } else {
        out.add(t);
      }
    }
    return out;
  }

  /** A scalar string field; "" when absent, null (reported) when not a scalar. */
  private static @Nullable String scalar(ConfigObject o, Compilation c, String what, @Nullable Entry e) {
    if (e == null || isNull(e.value())) {
      return "";
    }
    String t = text(e.value());
    if (t == null) {
      c.error(o.at(e.line()), Category.HANDLER, what + ": " + e.key() + ": expected a string");
    }
    return t;
  }

  private static <E extends Enum<E>> E choice(
      ConfigObject o, Compilation c, String what, @Nullable Entry e, Class<E> type, E fallback) {
    String t = e == null ? null : text(e.value());
    if (e == null || t == null) {
      return fallback;
    }
    for (E v : type.getEnumConstants()) {
      if (v.name().equals(t.trim())) {
        return v;
      }
    }
    List<String> names = new ArrayList<>();
    for (E v : type.getEnumConstants()) {
      names.add(v.name());
    }
    c.error(
        o.at(e.line()),
        Category.HANDLER,
        what + ": " + e.key() + ": " + t + " (expected: one of " + String.join(", ", names) + ")");
    return fallback;
  }
}
