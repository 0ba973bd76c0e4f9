package dev.offpath.remote;

import java.util.Arrays;
import java.util.Comparator;
import org.jspecify.annotations.Nullable;

/**
 * One map field's entries for one instance, as {@link InstanceEncoder} prepares them: keys (with
 * their UTF-8 bytes when the key is the plan's own, encoded once per layout), values, and the sizes
 * computed while sizing, so that writing reads them back instead of measuring every string again.
 *
 * <p>Entries added by {@link #addInOrder} arrive in key order (the layout's positions were sorted
 * once, when the layout was first seen), so {@link #sort} has nothing to do unless {@link #add}
 * (a STRING_MAP's entries) was also used. Belongs to one thread, like its {@link
 * InstanceEncoder.Prepared}.
 */
final class MapEntries {

  String[] keys;
  byte[] @Nullable [] keyBytes;
  Object[] values;
  /** The entry message's content size (key and value), filled in by the sizing pass. */
  int[] sizes;
  /** The value's size as its codec computed it, filled in by the sizing pass. */
  int[] valueSizes;
  int n;
  private boolean unsorted;

  MapEntries(int capacity) {
    int c = Math.max(capacity, 1);
    keys = new String[c];
    keyBytes = new byte[c][];
    values = new Object[c];
    sizes = new int[c];
    valueSizes = new int[c];
  }

  /** Adds an entry whose key is not known to sort after the ones before it. */
  void add(String key, Object value) {
    append(key, null, value);
    unsorted = true;
  }

  /** Adds an entry whose key sorts after every key added before it; {@code utf8} is its bytes. */
  void addInOrder(String key, byte[] utf8, Object value) {
    append(key, utf8, value);
  }

  private void append(String key, byte @Nullable [] utf8, Object value) {
    if (n == keys.length) {
      int c = n * 2;
      keys = Arrays.copyOf(keys, c);
      keyBytes = Arrays.copyOf(keyBytes, c);
      values = Arrays.copyOf(values, c);
      sizes = new int[c];
      valueSizes = new int[c];
    }
    keys[n] = key;
    keyBytes[n] = utf8;
    values[n] = value;
    n++;
  }

  /** Sorts the entries by key (a no-op when they were all added in order). */
  void sort() {
    if (!unsorted || n < 2) {
      return;
    }
    unsorted = false;
    if (n <= 32) {
      for (int i = 1; i < n; i++) {
        String k = keys[i];
        byte @Nullable [] b = keyBytes[i];
        Object v = values[i];
        int j = i - 1;
        while (j >= 0 && keys[j].compareTo(k) > 0) {
          keys[j + 1] = keys[j];
          keyBytes[j + 1] = keyBytes[j];
          values[j + 1] = values[j];
          j--;
        }
        keys[j + 1] = k;
        keyBytes[j + 1] = b;
        values[j + 1] = v;
      }
      return;
    }
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    String[] k = keys;
    Arrays.sort(order, Comparator.comparing(i -> k[i]));
    String[] sortedKeys = new String[keys.length];
    byte[] @Nullable [] sortedBytes = new byte[keys.length][];
    Object[] sortedValues = new Object[values.length];
    for (int i = 0; i < n; i++) {
      sortedKeys[i] = keys[order[i]];
      sortedBytes[i] = keyBytes[order[i]];
      sortedValues[i] = values[order[i]];
    }
    keys = sortedKeys;
    keyBytes = sortedBytes;
    values = sortedValues;
  }
}
