package dev.offpath.core.expr;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.attribute.MapAttributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.attribute.Vocabulary;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Fuzzes the expression lexer, parser and checker ({@link ExpressionCompiler#compile}) and the
 * evaluation of what compiles. Invariants, for any text:
 *
 * <ul>
 *   <li>compiling either returns an expression or throws {@link ExpressionException}, nothing
 *       else (no unchecked exception, no stack overflow);
 *   <li>a compiled expression evaluates, against an empty bag and a full one, to a non-null value
 *       of its type's Java class ({@link ValueType}), or throws {@link EvaluationException}.
 * </ul>
 *
 * <p>{@code ./offpath test} replays the seed corpus in {@code ExpressionFuzzTestInputs/} (test
 * resources) and every crash found so far; {@code JAZZER_FUZZ=1} fuzzes (README "Testing").
 */
class ExpressionFuzzTest {

  /** Istio's vocabulary plus the short names of Mixer's expression table (its seed corpus). */
  private static final AttributeManifest MANIFEST = manifest();

  private static final Attributes FULL =
      MapAttributes.builder()
          .put("request.path", "/api/v1/users")
          .put("request.method", "GET")
          .put("request.size", 120L)
          .put("request.headers", StringMap.of(Map.of("x-user", "alice", "user-agent", "curl/7.1")))
          .put("request.time", Instant.parse("2015-01-02T15:04:35Z"))
          .put("response.duration", Duration.ofMillis(20))
          .put("source.ip", IpAddress.parse("10.0.0.1"))
          .put("source.labels", StringMap.of(Map.of("app", "reviews")))
          .put("connection.mtls", true)
          .put("destination.service.host", "reviews.default.svc.cluster.local")
          .put("ai", 20L)
          .put("as", "a@b.c")
          .put("ar", StringMap.of(Map.of("foo", "bar")))
          .put("ad", 1.5)
          .put("ab", false)
          .build();

  private static AttributeManifest manifest() {
    Map<String, ValueType> types = new HashMap<>(Vocabulary.builtin().all());
    String[] letters = {"a", "b"};
    for (String p : letters) {
      types.put(p + "i", ValueType.INT64);
      types.put(p + "b", ValueType.BOOL);
      types.put(p + "s", ValueType.STRING);
      types.put(p + "d", ValueType.DOUBLE);
      types.put(p + "r", ValueType.STRING_MAP);
      types.put(p + "dur", ValueType.DURATION);
      types.put(p + "t", ValueType.TIMESTAMP);
      types.put(p + "ip", ValueType.IP_ADDRESS);
      types.put(p + "dns", ValueType.DNS_NAME);
      types.put(p + "mail", ValueType.EMAIL_ADDRESS);
      types.put(p + "uri", ValueType.URI);
    }
    types.put("t1", ValueType.TIMESTAMP);
    types.put("t2", ValueType.TIMESTAMP);
    types.put("b1", ValueType.BOOL);
    types.put("b2", ValueType.BOOL);
    types.put("sm", ValueType.STRING_MAP);
    types.put("a", ValueType.INT64);
    types.put("x", ValueType.INT64);
    types.put("y", ValueType.INT64);
    return AttributeManifest.of(types);
  }

  @FuzzTest(maxDuration = "5m")
  void compileAndEvaluate(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    Expression expression;
    try {
      expression = ExpressionCompiler.compile(text, MANIFEST);
    } catch (ExpressionException e) {
      assertThat(e.getMessage()).isNotBlank();
      return;
    }
    evaluate(expression, Attributes.empty());
    evaluate(expression, FULL);
  }

  private static void evaluate(Expression expression, Attributes bag) {
    Object value;
    try {
      value = expression.evaluate(bag);
    } catch (EvaluationException e) {
      return;
    }
    assertThat(value).isInstanceOf(javaClass(expression.type()));
  }

  private static Class<?> javaClass(ValueType type) {
    return switch (type) {
      case STRING, EMAIL_ADDRESS, DNS_NAME, URI -> String.class;
      case INT64 -> Long.class;
      case DOUBLE -> Double.class;
      case BOOL -> Boolean.class;
      case TIMESTAMP -> Instant.class;
      case DURATION -> Duration.class;
      case IP_ADDRESS -> IpAddress.class;
      case STRING_MAP -> StringMap.class;
    };
  }
}
