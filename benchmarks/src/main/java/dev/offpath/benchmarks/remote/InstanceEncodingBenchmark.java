package dev.offpath.benchmarks.remote;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.InstanceFields;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.remote.RemoteTemplate;
import dev.offpath.core.remote.RemoteTemplates;
import dev.offpath.remote.InstanceEncoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Encoding one instance for an out-of-process adapter: Offpath's {@link InstanceEncoder} (a plan
 * built once from the template's descriptor, tags precomputed, written with CodedOutputStream)
 * against the generic way, building a {@link DynamicMessage} from the same descriptor and
 * serializing it. Istio's {@code metric} template (Istio 1.0's requestduration-like instance: a
 * value and nine dimensions, positional fields as the report path passes them) and {@code
 * authorization} (nested subject and action, with properties). Both produce identical bytes
 * ({@code InstanceEncodingBenchmarkTest}).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar InstanceEncodingBenchmark -f 1 -wi 3
 * -i 5 -w 2 -r 2 -prof gc}; Istio's templates are read from {@code
 * ../shared/mixer-reference/oop/} (or {@code -Doffpath.mixer.reference=DIR}).
 */
@State(Scope.Benchmark)
@SuppressWarnings("NullAway.Init") // JMH fills the state in @Setup
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class InstanceEncodingBenchmark {

  @Param({"metric", "authorization"})
  public String template;

  private InstanceEncoder encoder;
  private Descriptor type;
  private Instance instance;

  @Setup
  public void setup() {
    RemoteTemplate t = template(template);
    type = t.instance();
    encoder = InstanceEncoder.of(type);
    instance = template.equals("metric") ? metric() : authorization();
  }

  @Benchmark
  public byte[] planned() {
    return encoder.encode(instance);
  }

  @Benchmark
  public byte[] dynamicMessage() {
    return dynamic(type, instance).toByteArray();
  }

  // -- fixtures, public for the test --

  public static Instance metric() {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("value", Duration.ofMillis(27));
    f.put("dimensions.reporter", "destination");
    f.put("dimensions.source_workload", "productpage-v1");
    f.put("dimensions.source_workload_namespace", "default");
    f.put("dimensions.destination_workload", "reviews-v2");
    f.put("dimensions.destination_service", "reviews.default.svc.cluster.local");
    f.put("dimensions.request_protocol", "http");
    f.put("dimensions.response_code", 200L);
    f.put("dimensions.connection_security_policy", "mutual_tls");
    f.put("dimensions.source_ip", IpAddress.parse("10.12.0.7"));
    f.put("monitored_resource_type", "UNSPECIFIED");
    List<String> names = new ArrayList<>(f.keySet());
    Object[] values = names.stream().map(f::get).toArray();
    return new Instance(
        "requestduration.instance.istio-system",
        "metric",
        new InstanceFields(new InstanceFields.Layout(names), values));
  }

  public static Instance authorization() {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("subject.user", "alice@example.com");
    f.put("subject.groups", "admins");
    f.put("subject.properties.source_namespace", "default");
    f.put("subject.properties.source_ip", IpAddress.parse("10.12.0.7"));
    f.put("action.namespace", "default");
    f.put("action.service", "reviews.default.svc.cluster.local");
    f.put("action.method", "GET");
    f.put("action.path", "/reviews/1");
    f.put("action.properties.protocol", "http");
    return new Instance("authz.instance.knative-serving", "authorization", f);
  }

  /** Istio's template {@code name} from the Mixer reference data. */
  public static RemoteTemplate template(String name) {
    Path file = reference().resolve("oop").resolve("template-" + name + ".yaml");
    try {
      Matcher m =
          Pattern.compile("(?m)^\\s*descriptor:\\s*\"?([A-Za-z0-9+/=]+)\"?\\s*$")
              .matcher(Files.readString(file));
      if (!m.find()) {
        throw new IllegalStateException("no descriptor in " + file);
      }
      return RemoteTemplates.parse(name, ByteString.copyFrom(Base64.getDecoder().decode(m.group(1))));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Mixer's reference data ({@code -Doffpath.mixer.reference=DIR}, else found beside the checkout). */
  public static Path reference() {
    String prop = System.getProperty("offpath.mixer.reference");
    if (prop != null) {
      return Path.of(prop);
    }
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path candidate = d.resolveSibling("shared").resolve("mixer-reference");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
      candidate = d.resolve("shared").resolve("mixer-reference");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("shared/mixer-reference not found (-Doffpath.mixer.reference=DIR)");
  }

  /**
   * The generic encoding: a DynamicMessage built field by field from the descriptor (map entries
   * sorted by key, as the planned encoder writes them).
   */
  public static DynamicMessage dynamic(Descriptor type, Instance instance) {
    return build(type, "", instance.fields(), instance.name());
  }

  private static DynamicMessage build(
      Descriptor type, String prefix, Map<String, Object> fields, String name) {
    DynamicMessage.Builder b = DynamicMessage.newBuilder(type);
    for (FieldDescriptor f : type.getFields()) {
      String path = prefix + f.getName();
      if (f.getNumber() == 72295727) {
        b.setField(f, name);
      } else if (f.isMapField()) {
        TreeMap<String, Object> entries = new TreeMap<>();
        String p = path + ".";
        fields.forEach(
            (k, v) -> {
              if (k.startsWith(p)) {
                entries.put(k.substring(p.length()), v);
              }
            });
        Descriptor entry = f.getMessageType();
        FieldDescriptor key = entry.findFieldByName("key");
        FieldDescriptor vf = entry.findFieldByName("value");
        for (Map.Entry<String, Object> e : entries.entrySet()) {
          b.addRepeatedField(
              f,
              DynamicMessage.newBuilder(entry)
                  .setField(key, e.getKey())
                  .setField(vf, vf.getJavaType() == FieldDescriptor.JavaType.MESSAGE
                      ? value(vf.getMessageType(), e.getValue())
                      : e.getValue())
                  .build());
        }
      } else if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE
          && f.getMessageType().getFullName().equals("istio.policy.v1beta1.Value")) {
        Object v = fields.get(path);
        if (v != null) {
          b.setField(f, value(f.getMessageType(), v));
        }
      } else if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        String p = path + ".";
        boolean any = false;
        for (String k : fields.keySet()) {
          if (k.startsWith(p)) {
            any = true;
            break;
          }
        }
        if (any) {
          b.setField(f, build(f.getMessageType(), p, fields, name));
        }
      } else {
        Object v = fields.get(path);
        if (v != null) {
          b.setField(f, v);
        }
      }
    }
    return b.build();
  }

  private static Message value(Descriptor valueType, Object v) {
    DynamicMessage.Builder b = DynamicMessage.newBuilder(valueType);
    switch (v) {
      case String s -> b.setField(valueType.findFieldByName("string_value"), s);
      case Long l -> b.setField(valueType.findFieldByName("int64_value"), l);
      case Double d -> b.setField(valueType.findFieldByName("double_value"), d);
      case Boolean x -> b.setField(valueType.findFieldByName("bool_value"), x);
      case IpAddress ip -> {
        FieldDescriptor f = valueType.findFieldByName("ip_address_value");
        Descriptor w = f.getMessageType();
        b.setField(
            f,
            DynamicMessage.newBuilder(w)
                .setField(w.findFieldByName("value"), ByteString.copyFrom(ip.bytes()))
                .build());
      }
      case Duration d -> {
        FieldDescriptor f = valueType.findFieldByName("duration_value");
        Descriptor w = f.getMessageType();
        FieldDescriptor inner = w.findFieldByName("value");
        Descriptor g = inner.getMessageType();
        DynamicMessage.Builder gb = DynamicMessage.newBuilder(g);
        gb.setField(g.findFieldByName("seconds"), d.getSeconds());
        gb.setField(g.findFieldByName("nanos"), d.getNano());
        b.setField(f, DynamicMessage.newBuilder(w).setField(inner, gb.build()).build());
      }
      default -> throw new IllegalArgumentException("unsupported in the benchmark: " + v.getClass());
    }
    return b.build();
  }
}
