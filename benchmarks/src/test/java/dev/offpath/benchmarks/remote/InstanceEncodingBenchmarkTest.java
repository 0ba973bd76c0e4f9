package dev.offpath.benchmarks.remote;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DynamicMessage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The two encodings the benchmark compares write identical bytes, which parse back equal. */
class InstanceEncodingBenchmarkTest {

  @ParameterizedTest
  @ValueSource(strings = {"metric", "authorization"})
  void plannedAndDynamicMessageBytesAreIdentical(String template) throws Exception {
    InstanceEncodingBenchmark b = new InstanceEncodingBenchmark();
    b.template = template;
    b.setup();

    byte[] planned = b.planned();
    byte[] dynamic = b.dynamicMessage();

    assertThat(planned).isEqualTo(dynamic);
    assertThat(planned.length).isGreaterThan(100);
    var type = InstanceEncodingBenchmark.template(template).instance();
    assertThat(DynamicMessage.parseFrom(type, planned)).isEqualTo(DynamicMessage.parseFrom(type, dynamic));
  }
}
