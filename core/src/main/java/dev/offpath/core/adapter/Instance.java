package dev.offpath.core.adapter;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One template instance built for one request: the instance's fully qualified name, its template
 * ({@code listentry}, {@code quota}, {@code checknothing}, …) and the evaluated fields. Fields are keyed
 * by dotted path: scalar fields by their name ({@code value}), entries of map fields as
 * {@code dimensions.source}. A field whose expression had no value is absent. The report path passes
 * {@link InstanceFields} (kept as they are: immutable and positional); any other map is copied.
 */
public record Instance(String name, String template, Map<String, Object> fields) {

  public Instance {
    requireNonNull(name, "name");
    requireNonNull(template, "template");
    fields = fields instanceof InstanceFields positional ? positional : Map.copyOf(fields);
  }

  /** The value of a scalar field, or null. */
  public @Nullable Object field(String name) {
    return fields.get(name);
  }

  /** The entries of map field {@code prefix} (e.g. {@code dimensions}), keys without the prefix. */
  public Map<String, Object> mapField(String prefix) {
    String p = prefix + ".";
    Map<String, Object> out = new LinkedHashMap<>();
    fields.forEach(
        (k, v) -> {
          if (k.startsWith(p)) {
            out.put(k.substring(p.length()), v);
          }
        });
    return out;
  }
}
