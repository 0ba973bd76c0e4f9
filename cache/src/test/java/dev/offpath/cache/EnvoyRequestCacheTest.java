package dev.offpath.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.ReferencedAttributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.TrackingAttributes;
import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.time.FakeTicker;
import dev.offpath.envoy.attributes.RequestAttributes;
import dev.offpath.envoy.attributes.RequestLimits;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The cache on bags as the Envoy front doors build them (slot table, header view): decisions are
 * keyed on the attributes and header keys read, whatever else the request carries.
 */
class EnvoyRequestCacheTest {

  private static final AttributeManifest MANIFEST =
      AttributeManifest.of(Map.of("destination.service.name", ValueType.STRING));

  private final CheckCache cache =
      CheckCache.builder(new FakeTicker()).executor(Runnable::run).hashSeed(3).build();

  private static Attributes bag(String user, String ip, String requestId) throws Exception {
    AttributeContext.Builder ctx = AttributeContext.newBuilder();
    ctx.getSourceBuilder()
        .setAddress(
            Address.newBuilder()
                .setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(4000)));
    ctx.getRequestBuilder()
        .getHttpBuilder()
        .setId(requestId)
        .setMethod("GET")
        .setPath("/api/" + requestId)
        .putHeaders("x-user", user)
        .putHeaders("x-request-id", requestId)
        .putHeaders("user-agent", "curl");
    ctx.putContextExtensions("destination.service.name", "reviews");
    return RequestAttributes.of(ctx.build(), MANIFEST, RequestLimits.DEFAULT);
  }

  /** What a rule on service, source and user reads. */
  private static ReferencedAttributes reads(Attributes a) {
    ReferencedAttributes referenced = new ReferencedAttributes();
    TrackingAttributes t = new TrackingAttributes(a, referenced);
    t.get("destination.service.name");
    t.get("source.ip");
    t.get("source.user");
    ((StringMap) t.get("request.headers")).get("x-user");
    ((StringMap) t.get("request.headers")).get("x-debug");
    return referenced;
  }

  private static Decision decision(String tag) {
    return new Decision(
        PolicyStatus.OK, Duration.ofMinutes(1), -1, tag, null, false, false, List.of(), List.of());
  }

  @Test
  void requestsThatDifferOnlyInUnreadValuesHit() throws Exception {
    Attributes first = bag("alice", "10.0.0.1", "r1");
    assertThat(cache.store(1, first, reads(first), decision("alice"))).isTrue();

    assertThat(cache.lookup(1, bag("alice", "10.0.0.1", "r2")).decidingRule()).isEqualTo("alice");
    assertThat(cache.lookup(1, bag("bob", "10.0.0.1", "r3"))).isNull();
    assertThat(cache.lookup(1, bag("alice", "10.0.0.2", "r4"))).isNull();
    assertThat(cache.stats().hits()).isEqualTo(1);
    assertThat(cache.stats().misses()).isEqualTo(2);
  }
}
