package dev.offpath.envoy.attributes;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Vocabulary;

/**
 * Differential fuzzing of {@link LazyCheckRequest} against protobuf-java's parser and {@link
 * RequestAttributes#of}: for any bytes, the same outcome ({@link Differential}): both reject the
 * bytes, both refuse the request with the same message, or both map it to bags with the same names
 * and equal values for every name of the manifest. Run with the built-in vocabulary (whose
 * declarations let context extensions replace any mapped attribute) and small limits, so that both
 * limits are reached by short inputs.
 *
 * <p>{@code ./offpath test} replays the seed corpus in {@code LazyCheckRequestFuzzTestInputs/} (test
 * resources: valid requests with every mapped field, merged and repeated fields, oneof switches,
 * groups, bad UTF-8, deep nesting); {@code .ci/fuzz LazyCheckRequestFuzzTest} fuzzes (README
 * "Testing").
 */
class LazyCheckRequestFuzzTest {

  private static final AttributeManifest MANIFEST = Vocabulary.builtin();
  private static final RequestLimits SMALL = new RequestLimits(8, 200);

  @FuzzTest(maxDuration = "5m")
  void lazyMatchesParsed(byte[] input) {
    Differential.compare(input, MANIFEST, RequestLimits.DEFAULT);
    Differential.compare(input, MANIFEST, SMALL);
  }
}
