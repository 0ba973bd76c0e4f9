package dev.offpath.envoy.attributes;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.offpath.core.attribute.AttributeIds;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.util.LinkedHashSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The reference (protobuf-java's parser, then {@link RequestAttributes#of}) against {@link
 * LazyCheckRequest} on the same bytes: the same outcome — both reject the bytes, both refuse the
 * request with the same message, or both give bags with the same names and, for every name of the
 * manifest and of the slot table, equal values by name and by id.
 */
final class Differential {

  enum Outcome {
    MALFORMED,
    INVALID_REQUEST,
    ATTRIBUTES
  }

  private Differential() {}

  /** Asserts the two paths agree on {@code bytes}; returns the outcome and the lazy bag, if any. */
  static Result compare(byte[] bytes, AttributeManifest manifest, RequestLimits limits) {
    Outcome refOutcome;
    Attributes ref = null;
    String refMessage = null;
    try {
      ref = RequestAttributes.of(CheckRequest.parseFrom(bytes).getAttributes(), manifest, limits);
      refOutcome = Outcome.ATTRIBUTES;
    } catch (InvalidProtocolBufferException e) {
      refOutcome = Outcome.MALFORMED;
    } catch (InvalidRequestException e) {
      refOutcome = Outcome.INVALID_REQUEST;
      refMessage = e.getMessage();
    }
    Outcome lazyOutcome;
    Attributes lazy = null;
    String lazyMessage = null;
    try {
      lazy = LazyCheckRequest.parse(bytes).attributes(manifest, limits);
      lazyOutcome = Outcome.ATTRIBUTES;
    } catch (InvalidProtocolBufferException e) {
      lazyOutcome = Outcome.MALFORMED;
    } catch (InvalidRequestException e) {
      lazyOutcome = Outcome.INVALID_REQUEST;
      lazyMessage = e.getMessage();
    }
    assertThat(lazyOutcome).as("outcome").isEqualTo(refOutcome);
    assertThat(lazyMessage).as("message").isEqualTo(refMessage);
    if (ref != null && lazy != null) {
      assertSameBag(ref, lazy, manifest);
    }
    return new Result(lazyOutcome, lazy);
  }

  record Result(Outcome outcome, @Nullable Attributes lazy) {}

  static void assertSameBag(Attributes ref, Attributes lazy, AttributeManifest manifest) {
    Set<String> names = new LinkedHashSet<>(manifest.all().keySet());
    names.addAll(RequestBag.NAMES);
    names.addAll(ref.names());
    // Read in a scrambled order first, so that no slot depends on another having been read.
    for (String name : new java.util.ArrayList<>(names).reversed()) {
      assertThat(lazy.get(AttributeIds.of(name), name)).as(name).isEqualTo(ref.get(name));
    }
    for (String name : names) {
      assertThat(lazy.get(name)).as(name).isEqualTo(ref.get(name));
    }
    assertThat(lazy.names()).isEqualTo(ref.names());
  }
}
