package dev.offpath.core.adapter;

import static java.util.Objects.requireNonNull;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The fields of an {@link Instance} as positional values against a shared {@link Layout}: the
 * report path builds thousands of instances per second with the same field names, so it fills one
 * array per instance instead of building a hash map. As a {@link Map} it reads like any other
 * fields map (absent values are absent keys); a handler that reports many instances can resolve the
 * positions of the fields it needs once per layout ({@link Layout#index}) and then read {@link
 * #value} by position.
 *
 * <p>Immutable: the values array is owned by this object once passed in.
 */
public final class InstanceFields extends AbstractMap<String, Object> {

  /** Field names and their positions; one per instance config, shared by all its instances. */
  public static final class Layout {
    private final String[] names;
    private final Map<String, Integer> index;

    public Layout(List<String> names) {
      requireNonNull(names, "names");
      this.names = names.toArray(String[]::new);
      Map<String, Integer> m = new HashMap<>();
      for (int i = 0; i < this.names.length; i++) {
        if (m.put(this.names[i], i) != null) {
          throw new IllegalArgumentException("names: " + this.names[i] + " listed twice");
        }
      }
      this.index = Map.copyOf(m);
    }

    public int size() {
      return names.length;
    }

    public String name(int position) {
      return names[position];
    }

    /** The position of field {@code name}, or -1. */
    public int index(String name) {
      Integer i = index.get(name);
      return i == null ? -1 : i;
    }
  }

  private final Layout layout;
  private final @Nullable Object[] values;
  private int size = -1;

  /** Takes ownership of {@code values}: the caller must not change it afterwards. */
  public InstanceFields(Layout layout, @Nullable Object[] values) {
    this.layout = requireNonNull(layout, "layout");
    this.values = requireNonNull(values, "values");
    if (values.length != layout.size()) {
      throw new IllegalArgumentException(
          "values: " + values.length + " (expected: " + layout.size() + ", the layout's size)");
    }
  }

  public Layout layout() {
    return layout;
  }

  /** The value at {@code position} of the layout, or null when absent. */
  public @Nullable Object value(int position) {
    return values[position];
  }

  @Override
  public @Nullable Object get(Object key) {
    int i = key instanceof String s ? layout.index(s) : -1;
    return i < 0 ? null : values[i];
  }

  @Override
  public boolean containsKey(Object key) {
    return get(key) != null;
  }

  @Override
  public int size() {
    int n = size;
    if (n < 0) {
      n = 0;
      for (Object v : values) {
        if (v != null) {
          n++;
        }
      }
      size = n;
    }
    return n;
  }

  // Immutable, like the Map.copyOf of any other fields map: every mutator throws, even a no-op.

  @Override
  public Object put(String key, Object value) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void putAll(Map<? extends String, ? extends Object> m) {
    throw new UnsupportedOperationException();
  }

  @Override
  public Object remove(Object key) {
    throw new UnsupportedOperationException();
  }

  @Override
  public boolean remove(Object key, Object value) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void clear() {
    throw new UnsupportedOperationException();
  }

  @Override
  public Object putIfAbsent(String key, Object value) {
    throw new UnsupportedOperationException();
  }

  @Override
  public boolean replace(String key, Object oldValue, Object newValue) {
    throw new UnsupportedOperationException();
  }

  @Override
  public Object replace(String key, Object value) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void replaceAll(BiFunction<? super String, ? super Object, ? extends Object> f) {
    throw new UnsupportedOperationException();
  }

  @Override
  public Object computeIfAbsent(String key, Function<? super String, ? extends Object> f) {
    throw new UnsupportedOperationException();
  }

  @Override
  public Object computeIfPresent(
      String key, BiFunction<? super String, ? super Object, ? extends Object> f) {
    throw new UnsupportedOperationException();
  }

  @Override
  public Object compute(
      String key, BiFunction<? super String, ? super @Nullable Object, ? extends Object> f) {
    throw new UnsupportedOperationException();
  }

  @Override
  public Object merge(
      String key, Object value, BiFunction<? super Object, ? super Object, ? extends Object> f) {
    throw new UnsupportedOperationException();
  }

  @Override
  public Set<Entry<String, Object>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public Iterator<Entry<String, Object>> iterator() {
        return new Iterator<>() {
          private int next = advance(0);

          private int advance(int from) {
            int i = from;
            while (i < values.length && values[i] == null) {
              i++;
            }
            return i;
          }

          @Override
          public boolean hasNext() {
            return next < values.length;
          }

          @Override
          public Entry<String, Object> next() {
            if (next >= values.length) {
              throw new NoSuchElementException();
            }
            int i = next;
            next = advance(i + 1);
            return Map.entry(layout.name(i), values[i]);
          }
        };
      }

      @Override
      public int size() {
        return InstanceFields.this.size();
      }
    };
  }
}
