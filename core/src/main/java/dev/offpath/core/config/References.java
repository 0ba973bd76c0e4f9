package dev.offpath.core.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * Names of handlers and instances and how rules refer to them, as Istio 1.1's Mixer resolved them
 * ({@code mixer/pkg/runtime/config/util.go}, {@code canonicalize}).
 *
 * <p>Every object has a key (name, kind, namespace) and is known by Mixer's fully qualified name
 * {@code name.kind.namespace}: kind {@code handler}/{@code instance} for Istio 1.1's generic objects
 * ({@code requestcountquota.instance.istio-system}, as Istio's docs name quotas), the adapter or
 * template kind for Istio 1.0's per-kind objects ({@code denyall.denier.istio-system}). A rule's reference resolves in its own namespace:
 *
 * <ul>
 *   <li>{@code name} — the generic object {@code name} there; failing that, the one per-kind object
 *       of that name there (two of different kinds make the reference ambiguous);
 *   <li>{@code a.b} — the per-kind object {@code a} of kind {@code b} in the rule's namespace;
 *       failing that, object {@code a} in namespace {@code b} as for a bare name (Istio's ambiguous
 *       case);
 *   <li>{@code a.b.c} — object {@code a} of kind {@code b} in namespace {@code c}, where kind
 *       {@code handler}/{@code instance} is the generic one.
 * </ul>
 *
 * @param <T> what a resolved entry holds
 */
final class References<T> {

  /**
   * An object's identity; {@code kind} is {@code handler}/{@code instance} for the generic kinds.
   */
  record Key(String name, String kind, String namespace, boolean generic) {

    /** The fully qualified name (see {@link PolicyConfig}). */
    String fqn() {
      return name + "." + kind + "." + namespace;
    }
  }

  /** The state of a named object once validated. */
  sealed interface Slot<T> {
    Source source();
  }

  /** Valid and in use. */
  record Active<T>(T value, Source source) implements Slot<T> {}

  /**
   * Loaded but not served (unsupported adapter or template); references are dropped with a warning.
   */
  record Skipped<T>(String reason, Source source) implements Slot<T> {}

  /** Invalid; its error is already reported, so references to it stay quiet. */
  record Failed<T>(Source source) implements Slot<T> {}

  /** The outcome of resolving a reference. */
  sealed interface Resolution<T> {}

  record Found<T>(Key key, Slot<T> slot) implements Resolution<T> {}

  record NotFound<T>(String expected) implements Resolution<T> {}

  record Ambiguous<T>(List<String> candidates) implements Resolution<T> {}

  private final String genericKind;
  private final Map<Key, Slot<T>> slots = new LinkedHashMap<>();

  References(String genericKind) {
    this.genericKind = genericKind;
  }

  Key key(String name, String kind, String namespace) {
    boolean generic = kind.equals(genericKind);
    return new Key(name, kind, namespace, generic);
  }

  /** The slot already holding {@code key}, if any. */
  @Nullable Slot<T> get(Key key) {
    return slots.get(key);
  }

  void put(Key key, Slot<T> slot) {
    slots.put(key, slot);
  }

  /** Every active object, in the order they were added. */
  void forEachActive(BiConsumer<Key, T> action) {
    slots.forEach(
        (k, s) -> {
          if (s instanceof Active<T> a) {
            action.accept(k, a.value());
          }
        });
  }

  Resolution<T> resolve(String ref, String namespace) {
    String[] parts = ref.split("\\.", -1);
    if (parts.length == 1) {
      Resolution<T> r = byName(ref, namespace);
      return r != null ? r : notFound("'" + ref + "' in namespace " + namespace);
    }
    if (parts.length == 2) {
      Found<T> perKind = find(key(parts[0], parts[1], namespace));
      if (perKind != null) {
        return perKind;
      }
      Resolution<T> r = byName(parts[0], parts[1]);
      return r != null
          ? r
          : notFound(
              "'"
                  + parts[0]
                  + "' of kind "
                  + parts[1]
                  + " in namespace "
                  + namespace
                  + ", or '"
                  + parts[0]
                  + "' in namespace "
                  + parts[1]);
    }
    if (parts.length == 3) {
      Found<T> f = find(key(parts[0], parts[1], parts[2]));
      return f != null
          ? f
          : notFound("'" + parts[0] + "' of kind " + parts[1] + " in namespace " + parts[2]);
    }
    return notFound("a name of the form name, name.namespace or name.kind.namespace");
  }

  private NotFound<T> notFound(String expected) {
    return new NotFound<>(expected);
  }

  private @Nullable Found<T> find(Key key) {
    Slot<T> s = slots.get(key);
    return s == null ? null : new Found<>(key, s);
  }

  /** The generic object {@code name} in {@code namespace}, else the only per-kind one. */
  private @Nullable Resolution<T> byName(String name, String namespace) {
    Found<T> generic = find(key(name, genericKind, namespace));
    if (generic != null) {
      return generic;
    }
    List<Found<T>> matches = new ArrayList<>();
    slots.forEach(
        (k, s) -> {
          if (!k.generic() && k.name().equals(name) && k.namespace().equals(namespace)) {
            matches.add(new Found<>(k, s));
          }
        });
    if (matches.size() == 1) {
      return matches.get(0);
    }
    if (matches.size() > 1) {
      return new Ambiguous<>(matches.stream().map(f -> f.key().fqn()).toList());
    }
    return null;
  }
}
