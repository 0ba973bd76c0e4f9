package dev.offpath.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.attribute.MapAttributes;
import dev.offpath.core.attribute.ReferencedAttributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.TrackingAttributes;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.time.FakeTicker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The cache on its own, with reads recorded by running small readers over a tracking view. */
class CheckCacheTest {

  private static final long V1 = 1;

  private final FakeTicker ticker = new FakeTicker();

  private CheckCache.Builder builder() {
    return CheckCache.builder(ticker).executor(Runnable::run).hashSeed(7);
  }

  private static ReferencedAttributes reads(Attributes a, Consumer<Attributes> reader) {
    ReferencedAttributes referenced = new ReferencedAttributes();
    reader.accept(new TrackingAttributes(a, referenced));
    return referenced;
  }

  private static Decision decision(String tag, Duration valid, int uses) {
    return new Decision(
        PolicyStatus.of(StatusCode.PERMISSION_DENIED, tag), valid, uses, "r", "h", false, false,
        List.of(), List.of());
  }

  private static Decision decision(String tag) {
    return decision(tag, Duration.ofMinutes(1), -1);
  }

  /** Stores {@code tag} for {@code a} as a decision made by {@code reader}. */
  private static boolean store(CheckCache cache, Attributes a, Consumer<Attributes> reader, String tag) {
    return cache.store(V1, a, reads(a, reader), decision(tag));
  }

  private static MapAttributes headers(Map<String, String> h) {
    return MapAttributes.of(Map.of("request.headers", StringMap.of(h)));
  }

  private static final Consumer<Attributes> READ_X_USER =
      a -> ((StringMap) a.get("request.headers")).get("x-user");

  @Test
  void absentMapKeyAndPresentMapKeyAreDifferentShapes() {
    CheckCache cache = builder().build();
    MapAttributes without = headers(Map.of("x-other", "1"));
    MapAttributes withEmpty = headers(Map.of("x-user", ""));
    assertThat(store(cache, without, READ_X_USER, "without")).isTrue();
    assertThat(cache.lookup(V1, withEmpty)).isNull();
    assertThat(cache.lookup(V1, headers(Map.of("x-other", "2"))).status().message())
        .isEqualTo("without");
    // The map itself absent satisfies neither shape.
    assertThat(cache.lookup(V1, Attributes.empty())).isNull();

    store(cache, withEmpty, READ_X_USER, "empty");
    assertThat(cache.lookup(V1, withEmpty).status().message()).isEqualTo("empty");
    assertThat(cache.lookup(V1, without).status().message()).isEqualTo("without");
    assertThat(cache.stats().shapes()).isEqualTo(2);
  }

  @Test
  void wholeMapReadKeysOnTheWholeMap() {
    CheckCache cache = builder().build();
    Consumer<Attributes> readAll =
        a -> {
          StringMap m = (StringMap) a.get("request.headers");
          m.get("x-user");
          m.asMap();
        };
    MapAttributes a = headers(Map.of("x-user", "alice", "x-other", "1"));
    store(cache, a, readAll, "whole");
    assertThat(ShapeKey.of(reads(a, readAll)).toString()).isEqualTo("[request.headers]");
    assertThat(cache.lookup(V1, headers(Map.of("x-user", "alice", "x-other", "1")))).isNotNull();
    assertThat(cache.lookup(V1, headers(Map.of("x-user", "alice", "x-other", "2")))).isNull();
    assertThat(cache.lookup(V1, headers(Map.of("x-user", "alice")))).isNull();
  }

  @Test
  void shapeKeyIsSortedMixerNotation() {
    MapAttributes a =
        MapAttributes.of(
            Map.of(
                "source.principal", "p",
                "request.headers", StringMap.of(Map.of("x-b", "1", "x-a", "2"))));
    ShapeKey key =
        ShapeKey.of(
            reads(
                a,
                t -> {
                  StringMap h = (StringMap) t.get("request.headers");
                  h.get("x-z");
                  h.get("x-b");
                  h.get("x-a");
                  t.get("source.user");
                  t.get("source.principal");
                  t.get("destination.port");
                }));
    assertThat(key.toString())
        .isEqualTo(
            "[-destination.port, -source.user, source.principal, request.headers[x-a],"
                + " request.headers[x-b], -request.headers[x-z]]");
  }

  @Test
  void everySignatureCollidingStillNeverServesAWrongDecision() {
    CheckCache cache = builder().signatureMask(0).build();
    Consumer<Attributes> readPrincipal = a -> a.get("source.principal");
    for (String p : List.of("a", "b", "c")) {
      Attributes a = MapAttributes.of(Map.of("source.principal", p));
      store(cache, a, readPrincipal, p);
    }
    // All three share one key; the last write won and only its own values are served.
    assertThat(cache.lookup(V1, MapAttributes.of(Map.of("source.principal", "c"))).status().message())
        .isEqualTo("c");
    assertThat(cache.lookup(V1, MapAttributes.of(Map.of("source.principal", "a")))).isNull();
    assertThat(cache.lookup(V1, MapAttributes.of(Map.of("source.principal", "b")))).isNull();
  }

  @Test
  void valuesCompareStrictly() {
    CheckCache cache = builder().build();
    Consumer<Attributes> readIp = a -> a.get("source.ip");
    Attributes v4 = MapAttributes.of(Map.of("source.ip", IpAddress.parse("10.0.0.1")));
    Attributes mapped =
        MapAttributes.of(
            Map.of("source.ip", IpAddress.ofBytes(IpAddress.parse("10.0.0.1").toIpv6Bytes())));
    assertThat(v4.get("source.ip")).isEqualTo(mapped.get("source.ip"));
    store(cache, v4, readIp, "v4");
    assertThat(cache.lookup(V1, mapped)).isNull();
    assertThat(cache.lookup(V1, MapAttributes.of(Map.of("source.ip", IpAddress.parse("10.0.0.1")))))
        .isNotNull();

    Consumer<Attributes> readPort = a -> a.get("destination.port");
    store(cache, MapAttributes.of(Map.of("destination.port", 80L)), readPort, "long");
    assertThat(cache.lookup(V1, MapAttributes.of(Map.of("destination.port", "80")))).isNull();
    assertThat(cache.lookup(V1, MapAttributes.of(Map.of("destination.port", 80L)))).isNotNull();
  }

  @Test
  void theLookupProbeNeverEntersTheMap() {
    CheckCache cache = builder().build();
    Consumer<Attributes> readPrincipal = a -> a.get("source.principal");
    Attributes a = MapAttributes.of(Map.of("source.principal", "a"));
    Attributes b = MapAttributes.of(Map.of("source.principal", "b"));
    cache.store(V1, a, reads(a, readPrincipal), decision("a", Duration.ofMinutes(1), 2));
    cache.store(V1, b, reads(b, readPrincipal), decision("b", Duration.ofSeconds(1), -1));
    assertThat(cache.lookup(V1, a).status().message()).isEqualTo("a");
    assertThat(cache.lookup(V1, a).status().message()).isEqualTo("a"); // the last use removes it
    assertThat(cache.lookup(V1, a)).isNull();
    assertThat(cache.lookup(V1, b).status().message()).isEqualTo("b");
    ticker.advance(Duration.ofSeconds(1));
    assertThat(cache.lookup(V1, b)).isNull();
    cache.store(V1, a, reads(a, readPrincipal), decision("a again"));
    cache.cleanUp();

    assertThat(cache.entryKeys())
        .hasSize(1)
        .allSatisfy(k -> assertThat(k).isNotInstanceOf(CheckCache.Probe.class));
    assertThat(cache.lookup(V1, a).status().message()).isEqualTo("a again");
  }

  @Test
  void shapeDescribesExactlyTheReadsOfItsKey() {
    Attributes a =
        MapAttributes.of(
            Map.of(
                "source.principal", "p",
                "request.headers", StringMap.of(Map.of("x-user", "u", "x-b", "b"))));
    List<Consumer<Attributes>> readers =
        List.of(
            t -> t.get("source.principal"),
            t -> t.get("source.user"),
            t -> {
              t.get("source.principal");
              t.get("source.user");
            },
            READ_X_USER,
            t -> ((StringMap) t.get("request.headers")).get("x-b"),
            t -> ((StringMap) t.get("request.headers")).get("x-none"),
            t -> {
              READ_X_USER.accept(t);
              ((StringMap) t.get("request.headers")).get("x-none");
            },
            t -> {
              READ_X_USER.accept(t);
              ((StringMap) t.get("request.headers")).asMap();
            },
            t -> ((StringMap) t.get("request.headers")).asMap(),
            t -> {});
    for (Consumer<Attributes> first : readers) {
      ShapeKey key = ShapeKey.of(reads(a, first));
      Shape shape = new Shape(0, key, -1L);
      for (Consumer<Attributes> second : readers) {
        ReferencedAttributes other = reads(a, second);
        assertThat(shape.describes(other))
            .as(key + " describes " + other)
            .isEqualTo(ShapeKey.of(other).equals(key));
      }
    }
  }

  @Test
  void lookupsReadTheBagByAttributeId() {
    CheckCache cache = builder().build();
    MapAttributes plain =
        MapAttributes.of(
            Map.of("source.principal", "p", "request.headers", StringMap.of(Map.of("x-user", "u"))));
    Consumer<Attributes> reader =
        t -> {
          t.get("source.principal");
          t.get("source.user");
          ((StringMap) t.get("request.headers")).get("x-user");
        };
    cache.store(V1, plain, reads(plain, reader), decision("byId"));
    Attributes idOnly =
        new Attributes() {
          @Override
          public Object get(String name) {
            throw new AssertionError("looked up by name: " + name);
          }

          @Override
          public Object get(int id, String name) {
            assertThat(id).isEqualTo(dev.offpath.core.attribute.AttributeIds.of(name));
            return plain.get(name);
          }

          @Override
          public java.util.Set<String> names() {
            return plain.names();
          }
        };
    assertThat(cache.lookup(V1, idOnly).status().message()).isEqualTo("byId");
  }

  @Test
  void shapesBeyondTheBoundAreNotCachedAndCounted() {
    CheckCache cache = builder().maximumShapes(1).build();
    Attributes a = MapAttributes.of(Map.of("source.principal", "p", "source.user", "u"));
    assertThat(store(cache, a, t -> t.get("source.principal"), "one")).isTrue();
    assertThat(store(cache, a, t -> t.get("source.user"), "two")).isFalse();
    assertThat(store(cache, a, t -> t.get("source.principal"), "one again")).isTrue();
    CheckCacheStats stats = cache.stats();
    assertThat(stats.shapes()).isEqualTo(1);
    assertThat(stats.shapeOverflows()).isEqualTo(1);
    assertThat(stats.writes()).isEqualTo(2);
  }

  @Test
  void entryBoundEvictsAndCounts() {
    CheckCache cache = builder().maximumEntries(2).build();
    for (int i = 0; i < 5; i++) {
      Attributes a = MapAttributes.of(Map.of("source.principal", "p" + i));
      store(cache, a, t -> t.get("source.principal"), "p" + i);
    }
    cache.cleanUp();
    assertThat(cache.stats().entries()).isEqualTo(2);
    assertThat(cache.stats().evictions()).isEqualTo(3);
  }

  @Test
  void staleVersionBypassesNewerVersionReplacesEverything() {
    CheckCache cache = builder().build();
    Attributes a = Attributes.empty();
    assertThat(cache.store(2, a, reads(a, t -> {}), decision("v2"))).isTrue();
    assertThat(cache.lookup(2, a)).isNotNull();
    assertThat(cache.store(1, a, reads(a, t -> {}), decision("v1"))).isFalse();
    assertThat(cache.lookup(1, a)).isNull();
    assertThat(cache.lookup(2, a).status().message()).isEqualTo("v2");
    assertThat(cache.lookup(3, a)).isNull();
    assertThat(cache.stats().shapes()).isZero();
    assertThat(cache.lookup(2, a)).isNull();
  }

  @Test
  void uncacheableDecisions() {
    CheckCache cache = builder().build();
    Attributes a = Attributes.empty();
    ReferencedAttributes none = reads(a, t -> {});
    Decision error =
        new Decision(PolicyStatus.OK, Duration.ofMinutes(1), -1, null, null, true, false, List.of(), List.of());
    Decision quota =
        new Decision(PolicyStatus.OK, Duration.ofMinutes(1), -1, null, null, false, true, List.of(), List.of());
    assertThat(cache.store(V1, a, none, error)).isFalse();
    assertThat(cache.store(V1, a, none, quota)).isFalse();
    assertThat(cache.store(V1, a, none, decision("zero uses", Duration.ofMinutes(1), 0))).isFalse();
    assertThat(cache.store(V1, a, none, decision("zero time", Duration.ZERO, 5))).isFalse();
    assertThat(cache.stats().writes()).isZero();
    assertThat(cache.lookup(V1, a)).isNull();
  }

  @Test
  void longestValidityIsCapped() {
    CheckCache cache = builder().build();
    Attributes a = Attributes.empty();
    assertThat(cache.store(V1, a, reads(a, t -> {}), decision("forever", Duration.ofDays(365_000_000L), -1)))
        .isTrue();
    ticker.advance(Duration.ofDays(365L * 100));
    assertThat(cache.lookup(V1, a)).isNotNull();
  }

  @Test
  void invalidBoundsAreRejected() {
    assertThatThrownBy(() -> builder().maximumEntries(0))
        .hasMessage("maximumEntries: 0 (expected: > 0)");
    assertThatThrownBy(() -> builder().maximumShapes(-1))
        .hasMessage("maximumShapes: -1 (expected: > 0)");
  }
}
