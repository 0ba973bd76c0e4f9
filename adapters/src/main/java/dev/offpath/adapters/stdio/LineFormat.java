package dev.offpath.adapters.stdio;

import dev.offpath.adapters.stdio.StdioConfig.Level;
import dev.offpath.core.adapter.InstanceFields;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * How the instances of one field layout become lines, worked out once per layout instead of once
 * per instance: the line's fields in the order they are written (sorted by name, as the earlier
 * per-instance {@code TreeMap} sorted them), each with its key pre-encoded as JSON bytes ({@code
 * ,"name":}), and the positions of the severity and timestamp (logentry) or value (metric).
 *
 * <p>A logentry's fields are its {@code variables.*}; a metric's its {@code dimensions.*} and
 * {@code value}. A metric dimension named {@code value} is shadowed by the metric's value when the
 * value is present and written when it is absent, as before. Severity text → level is resolved
 * through a one-entry cache (a config's severity is almost always a constant), so the map lookup and
 * upper-casing happen once per distinct severity rather than once per line.
 *
 * <p>Immutable except for the severity cache, which is a racy single reference to an immutable
 * pair: safe to share between worker threads.
 */
final class LineFormat {

  /** One field of the line: its pre-encoded key and where its value is. */
  record Field(byte[] firstKey, byte[] nextKey, int position, int fallback) {}

  private record Severity(String text, Level level) {}

  private final boolean metric;
  private final Field[] fields;
  private final int severity;
  private final int timestamp;
  private final Map<String, Level> severityLevels;
  private volatile @Nullable Severity lastSeverity;

  private LineFormat(
      boolean metric,
      Field[] fields,
      int severity,
      int timestamp,
      Map<String, Level> severityLevels) {
    this.metric = metric;
    this.fields = fields;
    this.severity = severity;
    this.timestamp = timestamp;
    this.severityLevels = severityLevels;
  }

  /** The format of instances of {@code template} with fields laid out as {@code layout}. */
  static LineFormat of(InstanceFields.Layout layout, String template, StdioConfig config) {
    boolean metric = template.equals("metric");
    String prefix = metric ? "dimensions." : "variables.";
    TreeMap<String, int[]> sorted = new TreeMap<>();
    int value = -1;
    for (int i = 0; i < layout.size(); i++) {
      String name = layout.name(i);
      if (name.startsWith(prefix)) {
        sorted.put(name.substring(prefix.length()), new int[] {i, -1});
      } else if (metric && name.equals("value")) {
        value = i;
      }
    }
    if (value >= 0) {
      int[] dimension = sorted.get("value");
      // The value wins; a dimension of the same name is written only when the value is absent.
      sorted.put("value", new int[] {value, dimension == null ? -1 : dimension[0]});
    }
    List<Field> fields = new ArrayList<>(sorted.size());
    for (Map.Entry<String, int[]> e : sorted.entrySet()) {
      fields.add(
          new Field(key(e.getKey(), false), key(e.getKey(), true), e.getValue()[0], e.getValue()[1]));
    }
    return new LineFormat(
        metric,
        fields.toArray(Field[]::new),
        metric ? -1 : layout.index("severity"),
        metric ? -1 : layout.index("timestamp"),
        config.severityLevels());
  }

  private static byte[] key(String name, boolean comma) {
    LineBuffer b = new LineBuffer(name.length() + 4);
    if (comma) {
      b.raw((byte) ',');
    }
    b.string(name);
    b.raw((byte) ':');
    return Arrays.copyOf(b.array(), b.size());
  }

  boolean metric() {
    return metric;
  }

  /** The instance's level: the metric level, or its severity through {@code severityLevels}. */
  Level level(InstanceFields values, Level metricLevel) {
    if (metric) {
      return metricLevel;
    }
    if (severity < 0 || !(values.value(severity) instanceof String s)) {
      return Level.INFO;
    }
    Severity last = lastSeverity;
    if (last != null && last.text.equals(s)) {
      return last.level;
    }
    Level l = severityLevels.get(s);
    if (l == null) {
      l = severityLevels.get(s.toUpperCase(Locale.ROOT));
    }
    Level resolved = l == null ? Level.INFO : l;
    lastSeverity = new Severity(s, resolved);
    return resolved;
  }

  /** The logentry's timestamp, or null (metrics, or none given). */
  @Nullable Instant timestamp(InstanceFields values) {
    return timestamp >= 0 && values.value(timestamp) instanceof Instant t ? t : null;
  }

  /**
   * The fields as a JSON object ({@code {"a":1,"b":"x"}}). {@code afterHeader} is true when the
   * object already holds the JSON line's level, time and instance, so the first field needs a comma.
   */
  void writeFields(LineBuffer out, InstanceFields values, boolean afterHeader) {
    writeFields(out, values, afterHeader, null);
  }

  /**
   * As {@link #writeFields(LineBuffer, InstanceFields, boolean)}; string values equal to those the
   * same worker wrote earlier in this batch are copied through {@code repeats} (made by {@link
   * #repeats()} for this format), with the same bytes.
   */
  void writeFields(
      LineBuffer out, InstanceFields values, boolean afterHeader, @Nullable Repeats repeats) {
    boolean first = !afterHeader;
    Field[] fs = fields;
    for (int i = 0; i < fs.length; i++) {
      Field f = fs[i];
      Object v = values.value(f.position);
      if (v == null && f.fallback >= 0) {
        v = values.value(f.fallback);
      }
      if (v == null) {
        continue;
      }
      out.raw(first ? f.firstKey : f.nextKey);
      first = false;
      if (repeats != null && v instanceof String s) {
        repeats.string(out, i, s);
      } else {
        out.value(v);
      }
    }
  }

  /** A worker's memory of this format's string values (see {@link Repeats}). */
  Repeats repeats() {
    return new Repeats(fields.length);
  }
}
