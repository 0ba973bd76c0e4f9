package dev.offpath.adapters.rbac;

import dev.offpath.core.adapter.Instance;
import dev.offpath.core.rbac.AccessRule;
import dev.offpath.core.rbac.RbacKey;
import dev.offpath.core.rbac.ServiceRole;
import dev.offpath.core.rbac.ServiceRoleBinding;
import dev.offpath.core.rbac.Spelling;
import dev.offpath.core.rbac.Subject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.yaml.snakeyaml.Yaml;

/** Builds RBAC model objects from plain YAML data (test tables), in either spelling. */
final class RbacTestData {

  private RbacTestData() {}

  static Map<String, Object> load(String resource) {
    try (InputStream in = RbacTestData.class.getResourceAsStream(resource)) {
      Objects.requireNonNull(in, resource);
      return new Yaml().load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  static List<ServiceRole> roles(List<Map<String, Object>> roles, String namespace, Spelling spelling) {
    List<ServiceRole> out = new ArrayList<>();
    for (Map<String, Object> r : roles) {
      List<AccessRule> rules = new ArrayList<>();
      for (Map<String, Object> rule : (List<Map<String, Object>>) r.getOrDefault("rules", List.of())) {
        List<AccessRule.Constraint> constraints = new ArrayList<>();
        for (Map<String, Object> c :
            (List<Map<String, Object>>) rule.getOrDefault("constraints", List.of())) {
          constraints.add(
              new AccessRule.Constraint(
                  key((String) c.get("key"), spelling), (List<String>) c.get("values")));
        }
        rules.add(
            new AccessRule(
                (List<String>) rule.getOrDefault("services", List.of()),
                (List<String>) rule.getOrDefault("paths", List.of()),
                (List<String>) rule.getOrDefault("methods", List.of()),
                constraints));
      }
      List<ServiceRoleBinding> bindings = new ArrayList<>();
      for (Map<String, Object> b : (List<Map<String, Object>>) r.getOrDefault("bindings", List.of())) {
        List<Subject> subjects = new ArrayList<>();
        for (Map<String, Object> s : (List<Map<String, Object>>) b.get("subjects")) {
          List<Subject.Property> props = new ArrayList<>();
          ((Map<String, Object>) s.getOrDefault("properties", Map.of()))
              .forEach((k, v) -> props.add(new Subject.Property(key(k, spelling), (String) v)));
          subjects.add(
              new Subject(
                  (String) s.getOrDefault("user", ""), (String) s.getOrDefault("group", ""), props));
        }
        bindings.add(new ServiceRoleBinding((String) b.get("name"), spelling, subjects));
      }
      out.add(
          new ServiceRole(
              (String) r.get("name"),
              (String) r.getOrDefault("namespace", namespace),
              spelling,
              rules,
              bindings));
    }
    return out;
  }

  static RbacKey key(String text, Spelling spelling) {
    if (spelling == Spelling.MIXER) {
      return RbacKey.property(text);
    }
    int open = text.indexOf('[');
    return open < 0
        ? RbacKey.attribute(text)
        : RbacKey.mapEntry(text.substring(0, open), text.substring(open + 1, text.length() - 1));
  }

  /** An authorization instance; {@code fields} by dotted path, as the runtime builds them. */
  static Instance instance(Map<String, Object> fields) {
    return new Instance("requestcontext.authorization.istio-system", "authorization", fields);
  }

  /** Fields from alternating path/value pairs; null values are left out (unset fields). */
  static Map<String, Object> fields(Object... pathsAndValues) {
    Map<String, Object> m = new HashMap<>();
    for (int i = 0; i < pathsAndValues.length; i += 2) {
      if (pathsAndValues[i + 1] != null) {
        m.put((String) pathsAndValues[i], pathsAndValues[i + 1]);
      }
    }
    return m;
  }
}
