package dev.offpath.core.attribute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AttributeJsonTest {

  private static final AttributeManifest MANIFEST =
      AttributeManifest.of(
          Map.of(
              "s", ValueType.STRING,
              "i", ValueType.INT64,
              "d", ValueType.DOUBLE,
              "b", ValueType.BOOL,
              "t", ValueType.TIMESTAMP,
              "dur", ValueType.DURATION,
              "ip", ValueType.IP_ADDRESS,
              "m", ValueType.STRING_MAP,
              "dns", ValueType.DNS_NAME));

  @Test
  void parsesEveryTypeByTheManifest() {
    MapAttributes bag =
        AttributeJson.parse(
            """
            {"s": "x", "i": 9151314447095037952, "d": 2, "b": true,
             "t": "2015-01-02T15:04:35.5+01:00", "dur": "1.5s", "ip": "10.0.0.1",
             "m": {"user-agent": "curl"}, "dns": "istio.io"}
            """,
            MANIFEST);
    assertThat(bag.get("s")).isEqualTo("x");
    assertThat(bag.get("i")).isEqualTo(9151314447095037952L);
    assertThat(bag.get("d")).isEqualTo(2.0);
    assertThat(bag.get("b")).isEqualTo(true);
    assertThat(bag.get("t")).isEqualTo(Instant.parse("2015-01-02T14:04:35.5Z"));
    assertThat(bag.get("dur")).isEqualTo(Duration.ofMillis(1500));
    assertThat(bag.get("ip")).isEqualTo(IpAddress.parse("10.0.0.1"));
    assertThat(bag.get("m")).isEqualTo(StringMap.of(Map.of("user-agent", "curl")));
    assertThat(bag.get("dns")).isEqualTo("istio.io");
    assertThat(bag.names()).hasSize(9);
  }

  @Test
  void emptyObjectIsAnEmptyBag() {
    assertThat(AttributeJson.parse("{}", MANIFEST).names()).isEmpty();
  }

  @Test
  void unknownAttributeIsNamed() {
    assertThatThrownBy(() -> AttributeJson.parse("{\"nope\": 1}", MANIFEST))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("nope: unknown attribute (expected: one declared in the attribute manifest)");
  }

  @Test
  void wrongShapesNameTheAttributeAndWhatWasExpected() {
    assertError("{\"s\": 1}", "s: 1 (expected: a string)");
    assertError("{\"i\": 1.5}", "i: 1.5 (expected: an integer)");
    assertError("{\"i\": \"1\"}", "i: \"1\" (expected: an integer)");
    assertError("{\"d\": \"x\"}", "d: \"x\" (expected: a number)");
    assertError("{\"b\": \"true\"}", "b: \"true\" (expected: true or false)");
    assertError(
        "{\"t\": \"2015-01-02\"}",
        "t: \"2015-01-02\" (expected: an RFC 3339 timestamp such as \"2019-01-02T15:04:05Z\")");
    assertError("{\"dur\": 10}", "dur: 10 (expected: a duration such as \"10ms\" or \"1.5s\")");
    assertError("{\"dur\": \"10\"}", "dur: \"10\" (expected: a duration such as \"10ms\" or \"1.5s\")");
    assertError("{\"ip\": \"10.1.12\"}", "ip: \"10.1.12\" (expected: an IP address such as \"10.0.0.1\" or \"::1\")");
    assertError("{\"m\": [\"a\"]}", "m: [\"a\"] (expected: an object of strings)");
    assertError("{\"m\": {\"k\": 1}}", "m[k]: 1 (expected: a string)");
    assertError("[1]", "attributes: array (expected: a JSON object)");
    assertError("{\"s\": \"a\", \"s\": \"b\"}", "attributes: Duplicate field 's' (expected: a JSON object)");
  }

  private static void assertError(String json, String message) {
    assertThatThrownBy(() -> AttributeJson.parse(json, MANIFEST))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void printsValuesAsJson() {
    assertThat(AttributeJson.toJson("a\"b")).isEqualTo("\"a\\\"b\"");
    assertThat(AttributeJson.toJson(42L)).isEqualTo("42");
    assertThat(AttributeJson.toJson(1.5)).isEqualTo("1.5");
    assertThat(AttributeJson.toJson(true)).isEqualTo("true");
    assertThat(AttributeJson.toJson(Instant.parse("2015-01-02T15:04:35Z"))).isEqualTo("\"2015-01-02T15:04:35Z\"");
    assertThat(AttributeJson.toJson(Duration.ofMillis(1500))).isEqualTo("\"1.5s\"");
    assertThat(AttributeJson.toJson(IpAddress.parse("::ffff:1.2.3.4"))).isEqualTo("\"1.2.3.4\"");
    assertThat(AttributeJson.toJson(StringMap.of(Map.of("b", "2", "a", "1")))).isEqualTo("{\"a\":\"1\",\"b\":\"2\"}");
    assertThatThrownBy(() -> AttributeJson.toJson(new Object()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("value: java.lang.Object (expected: ");
  }

  @Test
  void durationsPrintAsGoPrintsThem() {
    assertThat(AttributeJson.goDuration(Duration.ZERO)).isEqualTo("0s");
    assertThat(AttributeJson.goDuration(Duration.ofNanos(999))).isEqualTo("999ns");
    assertThat(AttributeJson.goDuration(Duration.ofNanos(1500))).isEqualTo("1.5µs");
    assertThat(AttributeJson.goDuration(Duration.ofMillis(10))).isEqualTo("10ms");
    assertThat(AttributeJson.goDuration(Duration.ofNanos(1_234_567))).isEqualTo("1.234567ms");
    assertThat(AttributeJson.goDuration(Duration.ofSeconds(1))).isEqualTo("1s");
    assertThat(AttributeJson.goDuration(Duration.ofSeconds(90))).isEqualTo("1m30s");
    assertThat(AttributeJson.goDuration(Duration.ofSeconds(3600))).isEqualTo("1h0m0s");
    assertThat(AttributeJson.goDuration(Duration.ofSeconds(9903).plusMillis(500))).isEqualTo("2h45m3.5s");
    assertThat(AttributeJson.goDuration(Duration.ofMillis(-1500))).isEqualTo("-1.5s");
    assertThat(AttributeJson.goDuration(Duration.ofNanos(Long.MIN_VALUE))).isEqualTo("-2562047h47m16.854775808s");
  }

  @Test
  void printedValuesParseBack() {
    String json =
        "{\"t\":" + AttributeJson.toJson(Instant.parse("2020-02-03T04:05:06.789Z"))
            + ",\"dur\":" + AttributeJson.toJson(Duration.ofNanos(2_500_000)) + "}";
    MapAttributes bag = AttributeJson.parse(json, MANIFEST);
    assertThat(bag.get("t")).isEqualTo(Instant.parse("2020-02-03T04:05:06.789Z"));
    assertThat(bag.get("dur")).isEqualTo(Duration.ofNanos(2_500_000));
  }
}
