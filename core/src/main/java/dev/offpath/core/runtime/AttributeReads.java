package dev.offpath.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.attribute.ReferencedAttributes;
import dev.offpath.core.attribute.ReferencedAttributes.Condition;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The attributes a decision read, flattened for people: name → value, sorted by name; an absent
 * attribute or map key maps to null; a map read only through keys appears as its keys ({@code
 * request.headers[x-user]}), never as the whole map. This is the record the check cache keys a
 * decision by (README "Check cache"), as the decision log and {@code offpath explain} show it.
 */
public final class AttributeReads {

  private AttributeReads() {}

  /** The reads of {@code referenced}, flattened; the result is unmodifiable. */
  public static Map<String, @Nullable Object> of(ReferencedAttributes referenced) {
    requireNonNull(referenced, "referenced");
    Map<String, @Nullable Object> out = new TreeMap<>();
    referenced
        .attributes()
        .forEach(
            (name, ref) -> {
              if (ref.condition() != Condition.PRESENT) {
                out.put(name, ref.value());
              }
            });
    referenced
        .mapKeys()
        .forEach(
            (key, ref) -> {
              ReferencedAttributes.Reference whole = referenced.attributes().get(key.map());
              if (whole == null || whole.condition() == Condition.PRESENT) {
                out.put(key.map() + "[" + key.key() + "]", ref.value());
              }
            });
    return Collections.unmodifiableMap(out);
  }
}
