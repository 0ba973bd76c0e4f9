package dev.offpath.core.attribute;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * What a decision read from its attribute bag: each attribute as present with its exact value, absent,
 * or (for a STRING_MAP read only through keys) present with the keys read recorded individually. The
 * check cache keys a decision by exactly this, so a rule reading {@code request.headers["x-user"]}
 * caches per user and ignores every other header.
 *
 * <p>Mutable and confined to the thread doing one evaluation; {@link TrackingAttributes} fills it.
 * Once an attribute is recorded as {@link Condition#EXACT} it stays so.
 */
public final class ReferencedAttributes {

  /** How an attribute was read. */
  public enum Condition {
    /** Looked up and not there. */
    ABSENT,
    /** Looked up and its whole value used. */
    EXACT,
    /** A map looked up and read only through individual keys (see {@link #mapKeys()}). */
    PRESENT
  }

  /** One recorded read: condition and, for {@link Condition#EXACT}, the value. */
  public record Reference(Condition condition, @Nullable Object value) {}

  /** A map name and key. */
  public record MapKey(String map, String key) {}

  private final Map<String, Reference> attributes = new LinkedHashMap<>();
  private final Map<MapKey, Reference> mapKeys = new LinkedHashMap<>();

  /** Records a whole-value read of {@code name}; {@code value} null means absent. */
  public void attribute(String name, @Nullable Object value) {
    requireNonNull(name, "name");
    attributes.put(name, value == null ? ABSENT : new Reference(Condition.EXACT, value));
  }

  /** Records that map {@code name} was looked up to read a key; keeps an earlier exact read. */
  public void mapPresent(String name) {
    Reference prior = attributes.get(requireNonNull(name, "name"));
    if (prior == null || prior.condition() == Condition.ABSENT) {
      attributes.put(name, PRESENT);
    }
  }

  /** Records the read of {@code key} in map {@code name}; {@code value} null means the key is absent. */
  public void mapKey(String name, String key, @Nullable String value) {
    mapKeys.put(
        new MapKey(requireNonNull(name, "name"), requireNonNull(key, "key")),
        value == null ? ABSENT : new Reference(Condition.EXACT, value));
  }

  public Map<String, Reference> attributes() {
    return Collections.unmodifiableMap(attributes);
  }

  public Map<MapKey, Reference> mapKeys() {
    return Collections.unmodifiableMap(mapKeys);
  }

  public boolean isEmpty() {
    return attributes.isEmpty() && mapKeys.isEmpty();
  }

  /** Forgets every recorded read, for reuse by the same thread. */
  public void clear() {
    attributes.clear();
    mapKeys.clear();
  }

  /**
   * The reads in Mixer's test notation, sorted: {@code name} for a present attribute, {@code -name}
   * for an absent one, {@code map[key]} / {@code -map[key]} for map keys.
   */
  public SortedSet<String> describe() {
    TreeSet<String> out = new TreeSet<>();
    attributes.forEach(
        (name, ref) -> out.add(ref.condition() == Condition.ABSENT ? "-" + name : name));
    mapKeys.forEach(
        (k, ref) ->
            out.add(
                (ref.condition() == Condition.ABSENT ? "-" : "") + k.map() + "[" + k.key() + "]"));
    return out;
  }

  @Override
  public String toString() {
    return describe().toString();
  }

  private static final Reference ABSENT = new Reference(Condition.ABSENT, null);
  private static final Reference PRESENT = new Reference(Condition.PRESENT, null);
}
