package dev.offpath.envoy.attributes;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.Vocabulary;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;

/**
 * Fuzzes {@code CheckRequest} → attributes ({@link RequestAttributes#of}) with every byte string
 * that protobuf parses as a {@code CheckRequest}. Invariant: the mapping returns a bag or throws
 * {@link InvalidRequestException} (a 400 to Envoy), never an unchecked exception; every name the
 * bag lists reads as a non-null value, and reading it twice gives equal values.
 *
 * <p>{@code ./offpath test} replays the seed corpus in {@code CheckRequestFuzzTestInputs/} (test
 * resources); {@code .ci/fuzz CheckRequestFuzzTest} fuzzes (README "Testing").
 */
class CheckRequestFuzzTest {

  private static final AttributeManifest MANIFEST = Vocabulary.builtin();

  @FuzzTest(maxDuration = "5m")
  void mapCheckRequest(byte[] input) {
    CheckRequest request;
    try {
      request = CheckRequest.parseFrom(input);
    } catch (InvalidProtocolBufferException e) {
      return;
    }
    Attributes bag;
    try {
      bag = RequestAttributes.of(request.getAttributes(), MANIFEST, RequestLimits.DEFAULT);
    } catch (InvalidRequestException e) {
      assertThat(e.getMessage()).isNotBlank();
      return;
    }
    for (String name : bag.names()) {
      Object value = bag.get(name);
      assertThat(value).as(name).isNotNull();
      assertThat(bag.get(name)).as(name).isEqualTo(value);
    }
  }
}
