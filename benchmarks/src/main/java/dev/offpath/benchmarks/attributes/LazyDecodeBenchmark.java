package dev.offpath.benchmarks.attributes;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.offpath.benchmarks.load.CheckTraffic;
import dev.offpath.core.attribute.AttributeIds;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.Vocabulary;
import dev.offpath.envoy.attributes.InvalidRequestException;
import dev.offpath.envoy.attributes.LazyCheckRequest;
import dev.offpath.envoy.attributes.RequestAttributes;
import dev.offpath.envoy.attributes.RequestLimits;
import dev.offpath.extauthz.CheckRequests;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A Check's bytes to the attributes a policy reads, two ways, on the load driver's requests
 * ({@link CheckTraffic}: peers, twelve headers, a context extension; 651 bytes for request 0):
 *
 * <ul>
 *   <li>{@code parsed}: protobuf-java parses the {@code CheckRequest} (what grpc-java's marshaller
 *       does) and {@link RequestAttributes#of} maps it;
 *   <li>{@code lazy}: {@link LazyCheckRequest#parse} scans the bytes and decodes on first read.
 * </ul>
 *
 * then reads {@code reads}: {@code policy}, what the load driver's twenty-rule policy with its
 * per-user memquota reads on an allowed request ({@code destination.service.name}, {@code
 * request.headers["x-user"]}, {@code source.ip}, {@code request.url_path}, {@code
 * request.useragent}); {@code three}, the first three of those; {@code all}, {@code names()} and
 * every attribute in it. Reads go by attribute id, as compiled expressions do.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar LazyDecodeBenchmark -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LazyDecodeBenchmark {

  @Param({"three", "policy", "all"})
  public String reads = "three";

  private static final int REQUESTS = 256;

  private final AttributeManifest manifest = Vocabulary.builtin();
  private byte[][] encoded = new byte[0][];
  private String[] names = new String[0];
  private int[] ids = new int[0];
  private int next;

  @Setup
  public void setUp() throws Exception {
    encoded = new byte[REQUESTS][];
    for (int i = 0; i < REQUESTS; i++) {
      encoded[i] = CheckRequests.fromAttributes(CheckTraffic.attributes(i, 1000)).toByteArray();
    }
    List<String> read =
        switch (reads) {
          case "three" -> List.of("destination.service.name", "request.headers", "source.ip");
          case "policy" ->
              List.of(
                  "destination.service.name",
                  "request.headers",
                  "source.ip",
                  "request.url_path",
                  "request.useragent");
          case "all" -> List.of();
          default -> throw new IllegalArgumentException("reads: " + reads);
        };
    names = read.toArray(String[]::new);
    ids = new int[names.length];
    for (int i = 0; i < names.length; i++) {
      ids[i] = AttributeIds.of(names[i]);
    }
    // Both ways must read the same values.
    for (byte[] bytes : encoded) {
      Attributes a = parsedBag(bytes);
      Attributes b = lazyBag(bytes);
      List<Object> x = new ArrayList<>();
      List<Object> y = new ArrayList<>();
      for (String name : a.names()) {
        x.add(a.get(name));
        y.add(b.get(name));
      }
      if (!x.equals(y) || !a.names().equals(b.names())) {
        throw new IllegalStateException("lazy " + b + " != parsed " + a);
      }
    }
  }

  private Attributes parsedBag(byte[] bytes)
      throws InvalidProtocolBufferException, InvalidRequestException {
    return RequestAttributes.of(
        CheckRequest.parseFrom(bytes).getAttributes(), manifest, RequestLimits.DEFAULT);
  }

  private Attributes lazyBag(byte[] bytes)
      throws InvalidProtocolBufferException, InvalidRequestException {
    return LazyCheckRequest.parse(bytes).attributes(manifest, RequestLimits.DEFAULT);
  }

  private byte[] nextRequest() {
    int i = next;
    next = (i + 1) & (REQUESTS - 1);
    return encoded[i];
  }

  /** The policy's reads: a header lookup for request.headers (x-user), else the attribute. */
  private int read(Attributes bag) {
    int h = 0;
    if (names.length == 0) {
      for (String name : bag.names()) {
        h += java.util.Objects.hashCode(bag.get(name));
      }
      return h;
    }
    for (int i = 0; i < names.length; i++) {
      Object v = bag.get(ids[i], names[i]);
      if (v instanceof StringMap m) {
        v = m.get("x-user");
      }
      h += v == null ? 0 : v.hashCode();
    }
    return h;
  }

  @Benchmark
  public int parsed() throws InvalidProtocolBufferException, InvalidRequestException {
    return read(parsedBag(nextRequest()));
  }

  @Benchmark
  public int lazy() throws InvalidProtocolBufferException, InvalidRequestException {
    return read(lazyBag(nextRequest()));
  }
}
