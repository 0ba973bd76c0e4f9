package dev.offpath.core.expr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.attribute.MapAttributes;
import dev.offpath.core.attribute.ReferencedAttributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.TrackingAttributes;
import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.testing.MixerReference;
import java.io.IOException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Mixer's own expression test table (istio/istio release-1.1 mixer/pkg/il/testing/tests.go, exported to
 * shared/mixer-reference/mixer-expr-cases.json), one dynamic test per case: compile against the case's
 * manifest, evaluate through {@link TrackingAttributes}, check the compile error (exact text), the
 * runtime error (prefix), the typed result and the referenced attributes.
 */
class MixerExpressionTableTest {

  /**
   * Cases whose expected outcome differs from Go's, each with the reason. Keyed by source line in
   * tests.go (case names repeat).
   */
  private static final Map<Integer, Deviation> DEVIATIONS =
      Map.of(
          3224, new Deviation("unknown function: reverse", "'reverse' is an extern the Go test defines for itself"),
          4274, new Deviation("unknown function: reverse", "'reverse' is an extern the Go test defines for itself"));

  record Deviation(String compileError, String reason) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode table() throws IOException {
    return JSON.readTree(MixerReference.file("mixer-expr-cases.json").toFile());
  }

  @TestFactory
  Stream<DynamicTest> mixerTable() throws IOException {
    JsonNode root = table();
    Map<String, AttributeManifest> manifests = new HashMap<>();
    root.get("manifests")
        .fields()
        .forEachRemaining(e -> manifests.put(e.getKey(), manifest(e.getValue())));
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode c : root.get("cases")) {
      String name = c.get("name").asText() + " (tests.go:" + c.get("line").asInt() + ")";
      tests.add(DynamicTest.dynamicTest(name, () -> run(c, manifests.get(c.get("manifest").asText()))));
    }
    return tests.stream();
  }

  @Test
  void deviationsNameRealCasesWithTheSkipReasonGoGives() throws IOException {
    List<Integer> skipped = new ArrayList<>();
    for (JsonNode c : table().get("cases")) {
      if (!c.get("skipReason").isNull()) {
        skipped.add(c.get("line").asInt());
      }
    }
    assertThat(skipped).containsExactlyInAnyOrderElementsOf(DEVIATIONS.keySet());
  }

  private static AttributeManifest manifest(JsonNode node) {
    Map<String, ValueType> types = new LinkedHashMap<>();
    node.fields().forEachRemaining(e -> types.put(e.getKey(), ValueType.valueOf(e.getValue().asText())));
    return AttributeManifest.of(types);
  }

  private static void run(JsonNode c, AttributeManifest manifest) throws Exception {
    String expr = c.get("expr").asText();
    Deviation deviation = DEVIATIONS.get(c.get("line").asInt());
    String compileError = deviation != null ? deviation.compileError() : text(c.get("compileError"));
    if (compileError != null) {
      assertThatThrownBy(() -> ExpressionCompiler.compile(expr, manifest))
          .isInstanceOf(ExpressionException.class)
          .hasMessage(compileError);
      return;
    }
    Expression compiled = ExpressionCompiler.compile(expr, manifest);
    MapAttributes.Builder bag = MapAttributes.builder();
    c.get("inputs").fields().forEachRemaining(e -> bag.put(e.getKey(), decode(e.getValue())));
    ReferencedAttributes referenced = new ReferencedAttributes();
    TrackingAttributes tracking = new TrackingAttributes(bag.build(), referenced);

    String error = text(c.get("error"));
    if (error != null) {
      assertThatThrownBy(() -> compiled.evaluate(tracking))
          .isInstanceOf(EvaluationException.class)
          .message()
          .startsWith(error);
    } else {
      Object actual = compiled.evaluate(tracking);
      JsonNode expected = c.get("result");
      if (expected.isNull()) {
        fail("case has neither result nor error: " + c);
      }
      assertThat(compiled.type()).hasToString(c.get("resultType").asText());
      assertValue(actual, decode(expected));
    }
    JsonNode refs = c.get("referenced");
    if (!refs.isNull()) {
      List<String> expectedRefs = new ArrayList<>();
      refs.forEach(r -> expectedRefs.add(r.asText()));
      assertThat(referenced.describe()).containsExactlyInAnyOrderElementsOf(expectedRefs);
    }
  }

  private static void assertValue(Object actual, Object expected) {
    if (expected instanceof StringMap m) {
      assertThat(actual).isInstanceOf(StringMap.class);
      assertThat(((StringMap) actual).asMap()).isEqualTo(m.asMap());
    } else {
      assertThat(actual).isEqualTo(expected);
    }
  }

  private static String text(JsonNode node) {
    return node == null || node.isNull() ? null : node.asText();
  }

  /** Decodes a value by its shape, per the table's notes (not by the manifest: some are wrong on purpose). */
  static Object decode(JsonNode v) {
    if (v.isTextual()) {
      return v.asText();
    }
    if (v.isBoolean()) {
      return v.booleanValue();
    }
    if (v.isIntegralNumber()) {
      return v.longValue();
    }
    if (v.isNumber()) {
      return v.doubleValue();
    }
    if (v.isObject() && v.size() == 1) {
      String key = v.fieldNames().next();
      JsonNode x = v.get(key);
      switch (key) {
        case "$double" -> {
          return x.doubleValue();
        }
        case "$timestamp" -> {
          return OffsetDateTime.parse(x.asText()).toInstant();
        }
        case "$duration" -> {
          return Params.parseDuration(x.asText());
        }
        case "$ip" -> {
          return IpAddress.parse(x.asText());
        }
        case "$bytes" -> {
          return Base64.getDecoder().decode(x.asText());
        }
        default -> {}
      }
    }
    if (v.isObject()) {
      Map<String, String> m = new LinkedHashMap<>();
      v.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
      return StringMap.of(m);
    }
    throw new IllegalArgumentException("cannot decode " + v);
  }
}
