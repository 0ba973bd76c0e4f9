package dev.offpath.adapters.stdio;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.offpath.adapters.stdio.StdioConfig.Level;
import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.ReportHandler;
import dev.offpath.core.attribute.AttributeValues;
import dev.offpath.core.attribute.StringMap;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
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
 * timestamps in RFC 3339; IP addresses as text; string maps as objects.
 *
 * <p>Thread-safe: a batch is written under the handler's lock and flushed at its end; a write
 * failure is logged once per batch and the batch's remaining lines are lost with it.
 */
final class StdioHandler implements ReportHandler {

  private static final Logger log = LoggerFactory.getLogger(StdioHandler.class);
  private static final JsonFactory JSON = new JsonFactory();

  private final StdioConfig config;
  private final AdapterEnvironment environment;
  private final LogSink sink;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(512);
  private boolean closed;

  StdioHandler(StdioConfig config, AdapterEnvironment environment) {
    this.config = config;
    this.environment = environment;
    this.sink = new LogSink(config, environment.clock());
  }

  @Override
  public synchronized void report(List<Instance> instances) {
    if (closed) {
      return;
    }
    try {
      for (Instance instance : instances) {
        write(instance);
      }
      sink.flush();
    } catch (IOException | UncheckedIOException e) {
      log.warn("{}: writing {} log line(s) failed", environment.handlerName(), instances.size(), e);
    }
  }

  private void write(Instance instance) throws IOException {
    boolean metric = instance.template().equals("metric");
    Level level;
    Instant time;
    Map<String, Object> fields;
    if (metric) {
      level = config.metricLevel();
      time = environment.clock().instant();
      fields = new TreeMap<>(instance.mapField("dimensions"));
      Object value = instance.field("value");
      if (value != null) {
        fields.put("value", value);
      }
    } else {
      level = severity(instance.field("severity"));
      time = instance.field("timestamp") instanceof Instant t ? t : environment.clock().instant();
      fields = new TreeMap<>(instance.mapField("variables"));
    }
    if (level.compareTo(config.outputLevel()) < 0) {
      return;
    }
    line.reset();
    if (!config.outputAsJson()) {
      String prefix = time + "\t" + level.label() + "\t" + instance.name() + "\t";
      line.write(prefix.getBytes(StandardCharsets.UTF_8));
    }
    try (JsonGenerator g = JSON.createGenerator(line)) {
      g.writeStartObject();
      if (config.outputAsJson()) {
        g.writeStringField("level", level.label());
        g.writeStringField("time", time.toString());
        g.writeStringField("instance", instance.name());
      }
      for (Map.Entry<String, Object> f : fields.entrySet()) {
        g.writeFieldName(f.getKey());
        value(g, f.getValue());
      }
      g.writeEndObject();
    }
    line.write('\n');
    sink.writeLine(line.toByteArray(), line.size());
  }

  private Level severity(@Nullable Object severity) {
    if (!(severity instanceof String s)) {
      return Level.INFO;
    }
    Level l = config.severityLevels().get(s);
    if (l == null) {
      l = config.severityLevels().get(s.toUpperCase(Locale.ROOT));
    }
    return l == null ? Level.INFO : l;
  }

  private static void value(JsonGenerator g, Object v) throws IOException {
    switch (v) {
      case String s -> g.writeString(s);
      case Long l -> g.writeNumber(l);
      case Double d when Double.isFinite(d) -> g.writeNumber(d);
      case Boolean b -> g.writeBoolean(b);
      case StringMap m -> {
        g.writeStartObject();
        for (Map.Entry<String, String> e : new TreeMap<>(m.asMap()).entrySet()) {
          g.writeStringField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
      }
      default -> g.writeString(AttributeValues.toText(v));
    }
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
