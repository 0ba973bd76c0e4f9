package dev.offpath.adapters.rbac;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.Instance;
import dev.offpath.core.attribute.AttributeIds;
import dev.offpath.core.attribute.AttributeValues;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.rbac.AccessRule;
import dev.offpath.core.rbac.RbacKey;
import dev.offpath.core.rbac.RbacPolicy;
import dev.offpath.core.rbac.RbacScope;
import dev.offpath.core.rbac.ServiceRole;
import dev.offpath.core.rbac.ServiceRoleBinding;
import dev.offpath.core.rbac.Spelling;
import dev.offpath.core.rbac.Subject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An {@link RbacPolicy} compiled for decisions: Mixer's {@code rbacStore.CheckPermission} over an
 * index, so a decision looks only at the roles that can match the request's service.
 *
 * <p><b>Semantics</b> (Mixer's adapter, istio/istio {@code mixer/adapter/rbac/rbacStore.go},
 * release-1.0). An {@code authorization} instance with an empty (or unset) {@code action.namespace},
 * {@code service}, {@code path} or {@code method} is denied. Otherwise the roles of the action's
 * namespace are tried: a role is eligible when one of its rules matches: the service matches {@code
 * services}, the path matches {@code paths} (no paths: any path), the method matches {@code methods}
 * (no methods: nothing), and every constraint's key has a string value matching one of its values
 * (all four compared by {@link Patterns}). The request is allowed when a subject of a binding of an
 * eligible role matches: each of {@code user} and {@code group} that is given must be {@code *} or
 * equal the request's, every property given must equal the request's, and at least one of the three
 * must be given. Nothing else allows.
 *
 * <p>What a key or {@code user} reads depends on the object's {@link Spelling}: the instance's
 * properties and {@code subject.user}, or request attributes ({@code source.principal} for users).
 * Attributes are read lazily, in a fixed order (roles in config order, rules and subjects as written),
 * and only when the evaluation reaches them, so the bag a decision ran on records exactly the reads
 * the answer depended on: a header named only by a role for another service is never read and never
 * splits the check cache.
 *
 * <p><b>Index</b>: per namespace, the roles by each exact service name they list, merged with the
 * roles that list a pattern ({@code *}, {@code fish*}, {@code *.svc}), in config order; a service no
 * role names exactly gets the pattern roles alone. Roles that can never match (no rule with both
 * services and methods) are left out.
 *
 * <p>Immutable and thread-safe once compiled.
 */
final class RbacStore {

  static final String NAMESPACE = "action.namespace";
  static final String SERVICE = "action.service";
  static final String METHOD = "action.method";
  static final String PATH = "action.path";
  static final String USER = "subject.user";
  static final String GROUPS = "subject.groups";
  static final String ACTION_PROPERTIES = "action.properties.";
  static final String SUBJECT_PROPERTIES = "subject.properties.";

  /** The attribute that is the subject's {@code user} in the {@link Spelling#ATTRIBUTES} spelling. */
  static final String PRINCIPAL = "source.principal";

  private static final int PRINCIPAL_ID = AttributeIds.of(PRINCIPAL);

  /** A decision and why, for tests and debug logs; the common ones are constants. */
  record Verdict(boolean allowed, String reason) {}

  static final Verdict NOT_ENFORCED = new Verdict(true, "RBAC not enforced here (RbacConfig)");
  static final Verdict NO_MATCH = new Verdict(false, "no role and binding match");
  static final Verdict MISSING_NAMESPACE = new Verdict(false, "missing action.namespace");
  static final Verdict MISSING_SERVICE = new Verdict(false, "missing action.service");
  static final Verdict MISSING_PATH = new Verdict(false, "missing action.path");
  static final Verdict MISSING_METHOD = new Verdict(false, "missing action.method");
  static final Verdict PERMISSIVE = new Verdict(true, "no role and binding match (permissive)");

  private static final Role[] NONE = new Role[0];

  private final RbacScope scope;
  private final Map<String, NamespaceIndex> namespaces;
  private final int roleCount;

  private RbacStore(RbacScope scope, Map<String, NamespaceIndex> namespaces, int roleCount) {
    this.scope = scope;
    this.namespaces = namespaces;
    this.roleCount = roleCount;
  }

  /** Compiles {@code policy}; pure. */
  static RbacStore compile(RbacPolicy policy) {
    requireNonNull(policy, "policy");
    Map<String, List<Role>> byNamespace = new LinkedHashMap<>();
    int ordinal = 0;
    for (ServiceRole role : policy.roles()) {
      Role compiled = Role.compile(role, ordinal++);
      if (compiled.rules.length > 0) {
        byNamespace.computeIfAbsent(role.namespace(), n -> new ArrayList<>()).add(compiled);
      }
    }
    Map<String, NamespaceIndex> index = new HashMap<>();
    byNamespace.forEach((ns, roles) -> index.put(ns, NamespaceIndex.of(roles)));
    return new RbacStore(policy.scope(), Map.copyOf(index), ordinal);
  }

  int roleCount() {
    return roleCount;
  }

  /** Decides one {@code authorization} instance; reads further attributes from {@code attributes}. */
  Verdict check(Instance instance, Attributes attributes) {
    if (scope.mode() == RbacScope.Mode.OFF) {
      return NOT_ENFORCED;
    }
    String namespace = text(instance.field(NAMESPACE));
    if (namespace.isEmpty()) {
      return MISSING_NAMESPACE;
    }
    String service = text(instance.field(SERVICE));
    if (service.isEmpty()) {
      return MISSING_SERVICE;
    }
    String path = text(instance.field(PATH));
    if (path.isEmpty()) {
      return MISSING_PATH;
    }
    String method = text(instance.field(METHOD));
    if (method.isEmpty()) {
      return MISSING_METHOD;
    }
    if (!scope.enforced(namespace, service)) {
      return NOT_ENFORCED;
    }
    NamespaceIndex index = namespaces.get(namespace);
    Role[] candidates = index == null ? NONE : index.candidates(service);
    for (Role role : candidates) {
      if (!role.eligible(service, path, method, instance, attributes)) {
        continue;
      }
      for (CompiledSubject subject : role.subjects) {
        if (subject.matches(instance, attributes)) {
          return subject.allow;
        }
      }
    }
    return scope.permissive() ? PERMISSIVE : NO_MATCH;
  }

  /** A string field of the instance; unset and non-string values read as "", as in Mixer's Go. */
  private static String text(@Nullable Object value) {
    return value instanceof String s ? s : "";
  }

  // ---------------------------------------------------------------------------------------------

  /** The roles of one namespace, by service. */
  private record NamespaceIndex(Map<String, Role[]> byService, Role[] patterned) {

    static NamespaceIndex of(List<Role> roles) {
      Map<String, Set<Role>> exact = new HashMap<>();
      List<Role> patterned = new ArrayList<>();
      for (Role role : roles) {
        boolean pattern = false;
        for (CompiledRule rule : role.rules) {
          for (String s : rule.services) {
            if (Patterns.isExact(s)) {
              exact.computeIfAbsent(s, k -> new LinkedHashSet<>()).add(role);
            } else {
              pattern = true;
            }
          }
        }
        if (pattern) {
          patterned.add(role);
        }
      }
      Map<String, Role[]> byService = new HashMap<>();
      exact.forEach(
          (service, named) -> {
            Set<Role> merged = new LinkedHashSet<>(named);
            merged.addAll(patterned);
            byService.put(
                service,
                merged.stream().sorted(Comparator.comparingInt(r -> r.ordinal)).toArray(Role[]::new));
          });
      return new NamespaceIndex(Map.copyOf(byService), patterned.toArray(Role[]::new));
    }

    Role[] candidates(String service) {
      Role[] named = byService.get(service);
      return named != null ? named : patterned;
    }
  }

  /** A role with its live rules and the subjects of all its bindings, in order. */
  private static final class Role {
    final String name;
    final int ordinal;
    final CompiledRule[] rules;
    final CompiledSubject[] subjects;

    private Role(String name, int ordinal, CompiledRule[] rules, CompiledSubject[] subjects) {
      this.name = name;
      this.ordinal = ordinal;
      this.rules = rules;
      this.subjects = subjects;
    }

    static Role compile(ServiceRole role, int ordinal) {
      List<CompiledRule> rules = new ArrayList<>();
      for (AccessRule rule : role.rules()) {
        if (!rule.services().isEmpty() && !rule.methods().isEmpty()) {
          rules.add(CompiledRule.of(rule));
        }
      }
      List<CompiledSubject> subjects = new ArrayList<>();
      for (ServiceRoleBinding binding : role.bindings()) {
        for (Subject s : binding.subjects()) {
          subjects.add(CompiledSubject.of(role, binding, s));
        }
      }
      return new Role(
          role.namespace() + "/" + role.name(),
          ordinal,
          rules.toArray(CompiledRule[]::new),
          subjects.toArray(CompiledSubject[]::new));
    }

    boolean eligible(
        String service, String path, String method, Instance instance, Attributes attributes) {
      for (CompiledRule rule : rules) {
        if (rule.matches(service, path, method, instance, attributes)) {
          return true;
        }
      }
      return false;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private record CompiledRule(
      String[] services, String @Nullable [] paths, String[] methods, Key[] keys, String[][] values) {

    static CompiledRule of(AccessRule rule) {
      Key[] keys = new Key[rule.constraints().size()];
      String[][] values = new String[keys.length][];
      for (int i = 0; i < keys.length; i++) {
        AccessRule.Constraint c = rule.constraints().get(i);
        keys[i] = Key.of(c.key(), ACTION_PROPERTIES);
        values[i] = c.values().toArray(String[]::new);
      }
      return new CompiledRule(
          rule.services().toArray(String[]::new),
          rule.paths().isEmpty() ? null : rule.paths().toArray(String[]::new),
          rule.methods().toArray(String[]::new),
          keys,
          values);
    }

    boolean matches(
        String service, String path, String method, Instance instance, Attributes attributes) {
      if (!Patterns.any(service, services)
          || (paths != null && !Patterns.any(path, paths))
          || !Patterns.any(method, methods)) {
        return false;
      }
      for (int i = 0; i < keys.length; i++) {
        String v = keys[i].read(instance, attributes);
        if (v == null || !Patterns.any(v, values[i])) {
          return false;
        }
      }
      return true;
    }
  }

  /** One binding subject; {@link #allow} is the verdict it grants, built once. */
  private record CompiledSubject(
      String user, boolean userIsPrincipal, String group, Key[] keys, String[] values, Verdict allow) {

    static CompiledSubject of(ServiceRole role, ServiceRoleBinding binding, Subject s) {
      Key[] keys = new Key[s.properties().size()];
      String[] values = new String[keys.length];
      for (int i = 0; i < keys.length; i++) {
        keys[i] = Key.of(s.properties().get(i).key(), SUBJECT_PROPERTIES);
        values[i] = s.properties().get(i).value();
      }
      return new CompiledSubject(
          s.user(),
          binding.spelling() == Spelling.ATTRIBUTES,
          s.group(),
          keys,
          values,
          new Verdict(
              true,
              "role "
                  + role.namespace()
                  + "/"
                  + role.name()
                  + ", binding "
                  + binding.name()));
    }

    /** Mixer's subject loop body: a given field that does not match rejects the subject. */
    boolean matches(Instance instance, Attributes attributes) {
      boolean found = false;
      if (!user.isEmpty()) {
        if (!user.equals("*") && !user.equals(requestUser(instance, attributes))) {
          return false;
        }
        found = true;
      }
      if (!group.isEmpty()) {
        if (!group.equals("*") && !group.equals(text(instance.field(GROUPS)))) {
          return false;
        }
        found = true;
      }
      if (keys.length > 0) {
        for (int i = 0; i < keys.length; i++) {
          if (!values[i].equals(keys[i].read(instance, attributes))) {
            return false;
          }
        }
        found = true;
      }
      return found;
    }

    private String requestUser(Instance instance, Attributes attributes) {
      if (!userIsPrincipal) {
        return text(instance.field(USER));
      }
      Object v = attributes.get(PRINCIPAL_ID, PRINCIPAL);
      return v instanceof String s ? s : "";
    }
  }

  /**
   * Where a key's value comes from: the instance field {@code field} (a property), or attribute
   * {@code attribute} (with id {@code id}), or key {@code mapKey} of that string-map attribute.
   *
   * <p>{@code source.namespace}, when the bag has no such attribute (Envoy's ext_authz reports the
   * peer's principal, not its namespace), is the namespace in the source principal ({@code
   * cluster.local/ns/default/sa/reviews}): Istio 1.0 enforced that property as a match on the
   * principal, so the two agree.
   */
  private record Key(
      @Nullable String field, @Nullable String attribute, int id, @Nullable String mapKey) {

    static Key of(RbacKey key, String propertyPrefix) {
      String attribute = key.attribute();
      if (attribute == null) {
        return new Key(propertyPrefix + key.text(), null, -1, null);
      }
      return new Key(null, attribute, AttributeIds.of(attribute), key.mapKey());
    }

    /** The key's value as a string, or null when absent (or, for a property, not a string). */
    @Nullable String read(Instance instance, Attributes attributes) {
      if (attribute == null) {
        return instance.field(requireNonNull(field)) instanceof String s ? s : null;
      }
      Object v = attributes.get(id, attribute);
      if (mapKey != null) {
        return v instanceof StringMap m ? m.get(mapKey) : null;
      }
      if (v == null && id == SOURCE_NAMESPACE_ID) {
        return namespaceOf(attributes.get(PRINCIPAL_ID, PRINCIPAL));
      }
      return v == null ? null : AttributeValues.toText(v);
    }
  }

  private static final int SOURCE_NAMESPACE_ID = AttributeIds.of("source.namespace");

  /** The {@code ns} segment of an Istio identity ({@code [spiffe://]domain/ns/NS/sa/SA}), or null. */
  static @Nullable String namespaceOf(@Nullable Object principal) {
    if (!(principal instanceof String p)) {
      return null;
    }
    int start = p.indexOf("/ns/");
    if (start < 0) {
      return null;
    }
    start += 4;
    int end = p.indexOf('/', start);
    String ns = end < 0 ? p.substring(start) : p.substring(start, end);
    return ns.isEmpty() ? null : ns;
  }
}
