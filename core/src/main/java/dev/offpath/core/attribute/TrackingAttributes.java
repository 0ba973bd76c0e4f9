package dev.offpath.core.attribute;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A view of a bag that records every read into a {@link ReferencedAttributes}. A STRING_MAP value is
 * handed out as a view whose {@link StringMap#get} records the key read and whose {@link
 * StringMap#asMap} records the whole map as read. Not thread-safe: one per evaluation.
 */
public final class TrackingAttributes implements Attributes {

  private final Attributes delegate;
  private final ReferencedAttributes referenced;

  public TrackingAttributes(Attributes delegate, ReferencedAttributes referenced) {
    this.delegate = requireNonNull(delegate, "delegate");
    this.referenced = requireNonNull(referenced, "referenced");
  }

  public ReferencedAttributes referenced() {
    return referenced;
  }

  @Override
  public @Nullable Object get(String name) {
    return track(name, delegate.get(name));
  }

  @Override
  public @Nullable Object get(int id, String name) {
    return track(name, delegate.get(id, name));
  }

  private @Nullable Object track(String name, @Nullable Object value) {
    if (value instanceof StringMap map) {
      referenced.mapPresent(name);
      return new TrackedMap(name, map);
    }
    referenced.attribute(name, value);
    return value;
  }

  /** Lists names without recording reads; callers that enumerate a bag depend on all of it. */
  @Override
  public Set<String> names() {
    return delegate.names();
  }

  private final class TrackedMap implements StringMap {
    private final String name;
    private final StringMap map;

    TrackedMap(String name, StringMap map) {
      this.name = name;
      this.map = map;
    }

    @Override
    public @Nullable String get(String key) {
      String value = map.get(key);
      referenced.mapKey(name, key, value);
      return value;
    }

    @Override
    public Map<String, String> asMap() {
      referenced.attribute(name, map);
      return map.asMap();
    }

    @Override
    public int size() {
      referenced.attribute(name, map);
      return map.size();
    }

    @Override
    public boolean equals(Object o) {
      return StringMap.equal(this, o);
    }

    @Override
    public int hashCode() {
      return asMap().hashCode();
    }

    @Override
    public String toString() {
      return map.toString();
    }
  }
}
