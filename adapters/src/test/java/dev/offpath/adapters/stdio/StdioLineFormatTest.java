package dev.offpath.adapters.stdio;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.offpath.adapters.stdio.StdioConfig.Level;
import dev.offpath.adapters.testing.TestEnvironment;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.InstanceFields;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.adapter.ReportHandler;
import dev.offpath.core.attribute.AttributeValues;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.attribute.StringMap;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The stdio handler's streaming line writer against the Jackson-based writer it replaced ({@link
 * Legacy}, kept here verbatim in behaviour): for many random logentry and metric instances —
 * positional and map-backed, strings with every kind of character (controls, quotes, non-ASCII,
 * characters outside the BMP, lone surrogates), numbers at their edges, durations, timestamps from
 * year 0 to beyond 9999, addresses, string maps, severities known and unknown, a metric dimension
 * named {@code value} — the file written must be the same bytes, in JSON and console form.
 */
class StdioLineFormatTest {

  private final TestEnvironment env = new TestEnvironment();
  @TempDir Path dir;

  @AfterEach
  void close() {
    env.close();
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6})
  void sameBytesAsTheJacksonWriter(long seed) throws Exception {
    Random random = new Random(seed);
    boolean json = seed % 2 == 1;
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("logStream", "FILE");
    params.put("outputPath", dir.resolve("access.log").toString());
    params.put("outputAsJson", json);
    params.put("severityLevels", Map.of("noisy", "INFO", "Loud", "ERROR"));
    params.put("outputLevel", seed % 3 == 0 ? "WARNING" : "INFO");
    params.put("metricLevel", seed % 3 == 0 ? "ERROR" : "INFO");
    StdioFactory factory = new StdioFactory();
    StdioConfig config = factory.parse(Params.of(params));
    ReportHandler handler = (ReportHandler) factory.create(config, env);

    List<String> logNames = List.of("severity", "timestamp", "variables.a", "variables.url",
        "variables.zeta", "variables.n", "variables.é", "variables.q\"k", "variables.d",
        "monitored_resource_type", "variables.level");
    List<String> metricNames = List.of("value", "dimensions.code", "dimensions.value",
        "dimensions.source", "dimensions.b");
    InstanceFields.Layout logLayout = new InstanceFields.Layout(logNames);
    InstanceFields.Layout metricLayout = new InstanceFields.Layout(metricNames);

    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    int lines = 0;
    for (int b = 0; b < 40; b++) {
      List<Instance> batch = new ArrayList<>();
      int n = random.nextInt(60);
      for (int i = 0; i < n; i++) {
        boolean metric = random.nextInt(4) == 0;
        List<String> names = metric ? metricNames : logNames;
        Object[] values = new Object[names.size()];
        for (int k = 0; k < values.length; k++) {
          if (random.nextInt(5) > 0) {
            values[k] = switch (names.get(k)) {
              case "severity" -> severity(random);
              case "timestamp" -> random.nextInt(8) == 0 ? 7L : instant(random);
              default -> value(random);
            };
          }
        }
        String template = metric ? "metric" : "logentry";
        String name = random.nextInt(10) == 0 ? text(random) : "accesslog.logentry.istio-system";
        Instance instance;
        if (random.nextBoolean()) {
          instance = new Instance(name, template,
              new InstanceFields(metric ? metricLayout : logLayout, values));
        } else {
          Map<String, Object> m = new HashMap<>();
          for (int k = 0; k < values.length; k++) {
            if (values[k] != null) {
              m.put(names.get(k), values[k]);
            }
          }
          instance = new Instance(name, template, m);
        }
        batch.add(instance);
      }
      for (Instance instance : batch) {
        byte[] line = Legacy.line(config, env.ticker.instant(), instance);
        if (line != null) {
          expected.write(line);
          lines++;
        }
      }
      handler.report(batch);
      env.ticker.advance(Duration.ofMillis(random.nextInt(1500)));
    }
    handler.close();

    assertThat(lines).isGreaterThan(300);
    byte[] actual = Files.readAllBytes(dir.resolve("access.log"));
    assertThat(new String(actual, StandardCharsets.UTF_8))
        .isEqualTo(new String(expected.toByteArray(), StandardCharsets.UTF_8));
    assertThat(actual).isEqualTo(expected.toByteArray());
  }

  @Test
  void concurrentWorkersWriteWholeBatchesInOrder() throws Exception {
    StdioFactory factory = new StdioFactory();
    ReportHandler handler =
        (ReportHandler)
            factory.create(
                factory.parse(
                    Params.of(
                        Map.of(
                            "logStream", "FILE",
                            "outputPath", dir.resolve("access.log").toString(),
                            "outputAsJson", true))),
                env);
    InstanceFields.Layout layout =
        new InstanceFields.Layout(List.of("severity", "variables.worker", "variables.n"));
    int batches = 300;
    int perBatch = 40;
    List<Thread> workers = new ArrayList<>();
    for (long w = 0; w < 2; w++) {
      long worker = w;
      workers.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    long n = 0;
                    for (int b = 0; b < batches; b++) {
                      List<Instance> batch = new ArrayList<>();
                      for (int i = 0; i < perBatch; i++) {
                        batch.add(
                            new Instance(
                                "accesslog.logentry.istio-system",
                                "logentry",
                                new InstanceFields(layout, new Object[] {"Info", worker, n++})));
                      }
                      handler.report(batch);
                    }
                  }));
    }
    for (Thread t : workers) {
      t.join();
    }
    handler.close();

    List<String> lines = Files.readAllLines(dir.resolve("access.log"));
    assertThat(lines).hasSize(2 * batches * perBatch);
    long[] next = new long[2];
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      assertThat(line).startsWith("{\"level\":\"info\",").endsWith("}");
      int worker = line.contains("\"worker\":1") ? 1 : 0;
      assertThat(line).endsWith(",\"n\":" + next[worker] + ",\"worker\":" + worker + "}");
      // A batch's lines are contiguous: within a batch the next line is the same worker's.
      if (next[worker] % perBatch != 0) {
        assertThat(lines.get(i - 1)).endsWith("\"worker\":" + worker + "}");
      }
      next[worker]++;
    }
  }

  private static Object severity(Random r) {
    return switch (r.nextInt(7)) {
      case 0 -> "Info";
      case 1 -> "noisy";
      case 2 -> "Loud";
      case 3 -> "warning";
      case 4 -> "ERR";
      case 5 -> 3L;
      default -> text(r);
    };
  }

  private static Instant instant(Random r) {
    return switch (r.nextInt(6)) {
      case 0 -> Instant.ofEpochSecond(r.nextLong(-70_000_000_000L, 300_000_000_000L),
          r.nextInt(1_000_000_000));
      case 1 -> Instant.ofEpochSecond(1_700_000_000L + r.nextInt(100_000), 0);
      case 2 -> Instant.ofEpochSecond(1_700_000_000L + r.nextInt(100_000),
          r.nextInt(1000) * 1_000_000);
      case 3 -> Instant.ofEpochSecond(1_700_000_000L + r.nextInt(100), r.nextInt(1_000_000) * 1000);
      case 4 -> Instant.ofEpochSecond(253_402_300_799L + r.nextInt(3) - 1, r.nextInt(2));
      default -> Instant.ofEpochSecond(r.nextInt(3) - 1, r.nextInt(1_000_000_000));
    };
  }

  /** Strings that recur from line to line, as a stream's workload names do (see Repeats). */
  private static final String[] REPEATED = {"reviews", "q\"uote", "tab\there", "é-ü", "", "x"};

  private static Object value(Random r) {
    return switch (r.nextInt(16)) {
      case 0, 1, 2 -> text(r);
      // the same object, or an equal copy: written from the bytes of its previous line
      case 12, 13 -> REPEATED[r.nextInt(REPEATED.length)];
      case 14 -> new String(REPEATED[r.nextInt(REPEATED.length)]);
      case 3 -> switch (r.nextInt(4)) {
        case 0 -> r.nextLong();
        case 1 -> (long) r.nextInt(10);
        case 2 -> Long.MIN_VALUE;
        default -> (long) r.nextInt(-100, 100000);
      };
      case 4 -> switch (r.nextInt(7)) {
        case 0 -> Double.NaN;
        case 1 -> Double.POSITIVE_INFINITY;
        case 2 -> -0.0;
        case 3 -> 1e21;
        case 4 -> Double.MIN_VALUE;
        default -> r.nextDouble() * 1000;
      };
      case 5 -> r.nextBoolean();
      case 6 -> Duration.ofNanos(r.nextLong(-5_000_000_000_000L, 5_000_000_000_000L)
          / (long) Math.pow(10, r.nextInt(10)));
      case 7 -> instant(r);
      case 8 -> IpAddress.parse(r.nextBoolean() ? "10.1.2." + r.nextInt(256) : "2001:db8::"
          + Integer.toHexString(r.nextInt(65536)));
      case 9 -> {
        Map<String, String> m = new HashMap<>();
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
          m.put(text(r), text(r));
        }
        yield StringMap.of(m);
      }
      default -> "";
    };
  }

  private static String text(Random r) {
    int n = r.nextInt(24);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      switch (r.nextInt(10)) {
        case 0 -> sb.append((char) r.nextInt(0x20));
        case 1 -> sb.append("\"\\/\u007f".charAt(r.nextInt(4)));
        case 2 -> sb.append((char) r.nextInt(0x80, 0x800));
        case 3 -> sb.append((char) r.nextInt(0x800, 0xD800));
        case 4 -> sb.appendCodePoint(r.nextInt(0x10000, 0x110000));
        case 5 -> sb.append((char) r.nextInt(0xD800, 0xE000));
        case 6 -> sb.append((char) r.nextInt(0xE000, 0x10000));
        default -> sb.append((char) r.nextInt(0x20, 0x7f));
      }
    }
    return sb.toString();
  }

  /** The handler's line writer before the streaming writer, as it was (Jackson, a map per line). */
  private static final class Legacy {
    private static final JsonFactory JSON = new JsonFactory();

    static byte[] line(StdioConfig config, Instant now, Instance instance) throws IOException {
      boolean metric = instance.template().equals("metric");
      Level level;
      Instant time;
      Map<String, Object> fields;
      if (metric) {
        level = config.metricLevel();
        time = now;
        fields = new TreeMap<>(instance.mapField("dimensions"));
        Object value = instance.field("value");
        if (value != null) {
          fields.put("value", value);
        }
      } else {
        level = severity(config, instance.field("severity"));
        time = instance.field("timestamp") instanceof Instant t ? t : now;
        fields = new TreeMap<>(instance.mapField("variables"));
      }
      if (level.compareTo(config.outputLevel()) < 0) {
        return null;
      }
      ByteArrayOutputStream line = new ByteArrayOutputStream();
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
      return line.toByteArray();
    }

    private static Level severity(StdioConfig config, Object severity) {
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
  }

}
