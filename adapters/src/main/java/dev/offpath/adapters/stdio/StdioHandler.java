package dev.offpath.adapters.stdio;

import dev.offpath.adapters.stdio.StdioConfig.Level;
import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.InstanceFields;
import dev.offpath.core.adapter.ReportHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one line per instance, in Mixer's stdio shape. JSON ({@code outputAsJson}): {@code
 * {"level":"info","time":"…","instance":"accesslog.logentry.istio-system", <fields sorted by
 * name>}}; console: {@code time⇥level⇥instance⇥{fields as JSON}}. A {@code logentry}'s fields are its
 * variables, its level comes from its severity through {@code severityLevels} (unknown: INFO) and
 * its time from its timestamp; a {@code metric}'s fields are {@code value} and its dimensions, at
 * {@code metricLevel}, timed now. Lines below {@code outputLevel} are not written.
 *
 * <p>Values: strings, numbers and booleans as JSON; durations as Go writes them ({@code 1.5ms});
 * timestamps in RFC 3339; IP addresses as text; string maps as objects (see {@link LineBuffer}).
 *
 * <p>Line rate (Istio's default config writes one access-log line per request): each layout's
 * field order, pre-encoded keys and severity are resolved once ({@link LineFormat}, cached per
 * layout); a worker encodes its whole batch into its own buffer without the lock, so two workers
 * format in parallel, copying a string value equal to the one it wrote for the same field earlier
 * in the batch from those bytes ({@link Repeats}); then it writes the batch to the sink under the
 * lock ({@link LogSink#writeLines}: one write for the whole batch, line by line only when the file
 * rotates) and flushes once.
 *
 * <p>Thread-safe: batches are written whole under the handler's lock and flushed at their end; a
 * write failure is logged once per batch and the batch's remaining lines are lost with it.
 */
final class StdioHandler implements ReportHandler {

  private static final Logger log = LoggerFactory.getLogger(StdioHandler.class);
  /** Layouts remembered; a config reload brings new ones, so the map is emptied past this. */
  private static final int MAX_FORMATS = 1024;
  /** A worker's buffer larger than this after a batch is dropped rather than kept. */
  private static final int MAX_KEPT_BUFFER = 1 << 20;

  /** One worker's batch: the lines' bytes and where each ends. */
  private static final class Batch {
    LineBuffer lines = new LineBuffer(1 << 16);
    int[] ends = new int[256];
    int count;
    /** Counts this worker's batches; {@link Repeats} forget positions of earlier ones. */
    long number;
    /** Per layout format, the string values already encoded in this batch. */
    final Map<LineFormat, Repeats> repeats = new IdentityHashMap<>();
    @Nullable LineFormat lastFormat;
    @Nullable Repeats lastRepeats;

    Repeats repeats(LineFormat format) {
      if (format == lastFormat && lastRepeats != null) {
        return lastRepeats;
      }
      Repeats r = repeats.get(format);
      if (r == null) {
        if (repeats.size() >= MAX_FORMATS) {
          repeats.clear(); // formats of an earlier config
        }
        r = format.repeats();
        repeats.put(format, r);
      }
      lastFormat = format;
      lastRepeats = r;
      return r;
    }

    void endLine() {
      if (count == ends.length) {
        ends = Arrays.copyOf(ends, count * 2);
      }
      ends[count++] = lines.size();
    }
  }

  private final StdioConfig config;
  private final AdapterEnvironment environment;
  private final LogSink sink;
  private final ThreadLocal<Batch> batches = ThreadLocal.withInitial(Batch::new);
  private final Map<InstanceFields.Layout, LineFormat> formats = new ConcurrentHashMap<>();
  private final byte[][] jsonHeads = new byte[Level.values().length][];
  private boolean closed;

  StdioHandler(StdioConfig config, AdapterEnvironment environment) {
    this.config = config;
    this.environment = environment;
    this.sink = new LogSink(config, environment.clock());
    for (Level l : Level.values()) {
      jsonHeads[l.ordinal()] =
          ("{\"level\":\"" + l.label() + "\",\"time\":\"").getBytes(StandardCharsets.UTF_8);
    }
  }

  @Override
  public void report(List<Instance> instances) {
    Batch batch = batches.get();
    batch.lines.reset();
    batch.count = 0;
    batch.number++;
    for (Instance instance : instances) {
      format(instance, batch);
    }
    synchronized (this) {
      if (!closed) {
        try {
          sink.writeLines(batch.lines.array(), batch.ends, batch.count);
          sink.flush();
        } catch (IOException | UncheckedIOException e) {
          log.warn("{}: writing {} log line(s) failed", environment.handlerName(), batch.count, e);
        }
      }
    }
    if (batch.lines.array().length > MAX_KEPT_BUFFER) {
      batch.lines = new LineBuffer(1 << 16);
    }
  }

  private void format(Instance instance, Batch batch) {
    InstanceFields values;
    LineFormat format;
    @Nullable Repeats repeats;
    if (instance.fields() instanceof InstanceFields f) {
      values = f;
      format = format(f.layout(), instance.template());
      repeats = batch.repeats(format);
      repeats.begin(batch.number);
    } else {
      // Instances not built by the report path (tests, tools): an ad-hoc layout, not remembered.
      values = adHoc(instance.fields());
      format = LineFormat.of(values.layout(), instance.template(), config);
      repeats = null;
    }
    Level level = format.level(values, config.metricLevel());
    if (level.compareTo(config.outputLevel()) < 0) {
      return;
    }
    Instant time = format.timestamp(values);
    if (time == null) {
      time = environment.clock().instant();
    }
    LineBuffer out = batch.lines;
    if (config.outputAsJson()) {
      out.raw(jsonHeads[level.ordinal()]);
      out.instant(time);
      out.raw(INSTANCE_KEY);
      out.string(instance.name());
      format.writeFields(out, values, true, repeats);
    } else {
      out.instant(time);
      out.raw((byte) '\t');
      out.ascii(level.label());
      out.raw((byte) '\t');
      out.raw(instance.name().getBytes(StandardCharsets.UTF_8));
      out.raw((byte) '\t');
      out.raw((byte) '{');
      format.writeFields(out, values, false, repeats);
    }
    out.raw((byte) '}');
    out.raw((byte) '\n');
    batch.endLine();
  }

  private static final byte[] INSTANCE_KEY = "\",\"instance\":".getBytes(StandardCharsets.UTF_8);

  private static InstanceFields adHoc(Map<String, Object> fields) {
    List<String> names = new ArrayList<>(fields.keySet());
    @Nullable Object[] values = new Object[names.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = fields.get(names.get(i));
    }
    return new InstanceFields(new InstanceFields.Layout(names), values);
  }

  private LineFormat format(InstanceFields.Layout layout, String template) {
    LineFormat f = formats.get(layout);
    if (f != null && f.metric() == template.equals("metric")) {
      return f;
    }
    f = LineFormat.of(layout, template, config);
    if (formats.size() >= MAX_FORMATS) {
      formats.clear();
    }
    formats.put(layout, f);
    return f;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      sink.close();
    } catch (IOException e) {
      log.warn("{}: closing the log failed", environment.handlerName(), e);
    }
  }
}
