package dev.offpath.benchmarks;

import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.MapAttributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.Vocabulary;
import dev.offpath.core.expr.EvaluationException;
import dev.offpath.core.expr.Expression;
import dev.offpath.core.expr.ExpressionCompiler;
import dev.offpath.core.expr.ExpressionException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Compiled expression evaluation against a realistic bag: a simple comparison, a header map lookup,
 * a {@code |} fallback chain, Mixer's glob {@code match()} ({@code regex}) and an RE2/J regular
 * expression through {@code .matches()} ({@code re2}).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar ExpressionBenchmark -prof gc}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ExpressionBenchmark {

  private Attributes bag;
  private Expression simple;
  private Expression mapLookup;
  private Expression fallbackChain;
  private Expression regex;
  private Expression re2;

  @Setup
  public void setUp() throws ExpressionException {
    AttributeManifest manifest = Vocabulary.builtin();
    bag =
        MapAttributes.builder()
            .put("destination.service.name", "reviews")
            .put("source.namespace", "default")
            .put("request.path", "/api/v1/reviews/42")
            .put(
                "request.headers",
                StringMap.of(
                    Map.of(
                        "x-user", "jason",
                        ":authority", "reviews.default.svc.cluster.local",
                        "user-agent", "curl/8.5")))
            .build();
    simple = ExpressionCompiler.compile("destination.service.name == \"reviews\"", manifest);
    mapLookup = ExpressionCompiler.compile("request.headers[\"x-user\"] == \"jason\"", manifest);
    fallbackChain =
        ExpressionCompiler.compile(
            "destination.workload.name | destination.service.name | \"unknown\"", manifest);
    regex = ExpressionCompiler.compile("match(request.path, \"/api/v1/*\")", manifest);
    re2 =
        ExpressionCompiler.compile(
            "\"^/api/v[0-9]+/(reviews|ratings)\".matches(request.path)", manifest);
  }

  @Benchmark
  public boolean simple() throws EvaluationException {
    return simple.evaluateBoolean(bag);
  }

  @Benchmark
  public boolean mapLookup() throws EvaluationException {
    return mapLookup.evaluateBoolean(bag);
  }

  @Benchmark
  public Object fallbackChain() throws EvaluationException {
    return fallbackChain.evaluate(bag);
  }

  @Benchmark
  public boolean regex() throws EvaluationException {
    return regex.evaluateBoolean(bag);
  }

  @Benchmark
  public boolean re2() throws EvaluationException {
    return re2.evaluateBoolean(bag);
  }
}
