package dev.offpath.adapters.list;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.adapters.list.ListConfig.EntryType;
import dev.offpath.adapters.testing.Samples;
import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.adapter.Params;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ListCheckerFactoryTest {

  private final ListCheckerFactory factory = new ListCheckerFactory();

  private ListConfig parse(Map<String, ?> params) throws AdapterConfigException {
    return factory.parse(Params.of(params));
  }

  private String error(Map<String, ?> params) {
    try {
      parse(params);
    } catch (AdapterConfigException e) {
      return e.getMessage();
    }
    throw new AssertionError("expected an error for " + params);
  }

  @Test
  void installedAsListchecker() {
    assertThat(AdapterRegistry.installed().find("listchecker"))
        .isInstanceOf(ListCheckerFactory.class);
    assertThat(factory.templates()).containsExactly("listentry");
  }

  @Test
  void defaultsAreMixers() throws Exception {
    assertThat(parse(Map.of()))
        .isEqualTo(
            new ListConfig(
                null,
                Duration.ofSeconds(60),
                Duration.ofSeconds(300),
                Duration.ofSeconds(300),
                10000,
                List.of(),
                EntryType.STRINGS,
                false));
  }

  @Test
  void bookinfoDenyIpSample() throws Exception {
    Map<String, Object> params =
        Samples.handlerParams("mixer-rule-deny-ip.yaml", "listchecker").get(0);
    ListConfig config = parse(params);
    assertThat(config.entryType()).isEqualTo(EntryType.IP_ADDRESSES);
    assertThat(config.overrides()).containsExactly("10.57.0.0/16");
    assertThat(config.blacklist()).isFalse();
    assertThat(config.providerUrl()).isNull();
  }

  @Test
  void fullParams() throws Exception {
    ListConfig config =
        parse(
            Map.of(
                "providerUrl", "https://lists.example.com/deny.txt",
                "refreshInterval", "10s",
                "ttl", "1m",
                "cachingInterval", "0",
                "caching_use_count", 0,
                "overrides", List.of("a", "B"),
                "entryType", "case_insensitive_strings",
                "blacklist", true));
    assertThat(config)
        .isEqualTo(
            new ListConfig(
                URI.create("https://lists.example.com/deny.txt"),
                Duration.ofSeconds(10),
                Duration.ofMinutes(1),
                Duration.ZERO,
                0,
                List.of("a", "B"),
                EntryType.CASE_INSENSITIVE_STRINGS,
                true));
    assertThat(parse(Map.of("entryType", 3)).entryType()).isEqualTo(EntryType.REGEX);
  }

  @Test
  void providerSettingsAreCheckedOnlyWithAProvider() throws Exception {
    assertThat(parse(Map.of("refreshInterval", "10ms", "ttl", "1ms")).ttl())
        .isEqualTo(Duration.ofMillis(1));
  }

  @Test
  void validationErrors() {
    assertThat(error(Map.of("providerUrl", "lists.example.com/x")))
        .isEqualTo("providerUrl: lists.example.com/x (expected: an http or https URL with a host)");
    assertThat(error(Map.of("providerUrl", "ftp://lists.example.com/x")))
        .isEqualTo(
            "providerUrl: ftp://lists.example.com/x (expected: an http or https URL with a host)");
    assertThat(error(Map.of("providerUrl", "http://bad host/")))
        .isEqualTo("providerUrl: http://bad host/ (expected: an http or https URL with a host)");
    assertThat(error(Map.of("providerUrl", "http://h/", "refreshInterval", "500ms")))
        .isEqualTo("refreshInterval: 500ms (expected: >= 1s)");
    assertThat(error(Map.of("providerUrl", "http://h/", "ttl", "60s")))
        .isEqualTo("ttl: 60s (expected: > refreshInterval, 60s)");
    assertThat(error(Map.of("providerUrl", "http://h/", "refreshInterval", "10m")))
        .isEqualTo("ttl: 300s (expected: > refreshInterval, 10m)");
    assertThat(error(Map.of("cachingInterval", "-1s")))
        .isEqualTo("cachingInterval: -1s (expected: >= 0)");
    assertThat(error(Map.of("cachingUseCount", -1)))
        .isEqualTo("cachingUseCount: -1 (expected: 0 to 2147483647)");
    assertThat(error(Map.of("entryType", "IPS")))
        .isEqualTo(
            "entryType: IPS (expected: one of STRINGS, CASE_INSENSITIVE_STRINGS, IP_ADDRESSES,"
                + " REGEX)");
    assertThat(
            error(
                Map.of(
                    "entryType", "IP_ADDRESSES", "overrides", List.of("10.0.0.1", "10.0.0.300/8"))))
        .isEqualTo("overrides[1]: 10.0.0.300/8 (expected: an IP address or CIDR range)");
    assertThat(error(Map.of("entryType", "IP_ADDRESSES", "overrides", List.of("10.0.0.0/33"))))
        .isEqualTo("overrides[0]: 10.0.0.0/33 (expected: an IP address or CIDR range)");
    assertThat(error(Map.of("entryType", "IP_ADDRESSES", "overrides", List.of("2001:db8::/129"))))
        .isEqualTo("overrides[0]: 2001:db8::/129 (expected: an IP address or CIDR range)");
    assertThat(error(Map.of("entryType", "IP_ADDRESSES", "overrides", List.of("example.com"))))
        .isEqualTo("overrides[0]: example.com (expected: an IP address or CIDR range)");
    assertThat(error(Map.of("entryType", "REGEX", "overrides", List.of("ok.*", "a(b"))))
        .isEqualTo("overrides[1]: a(b (expected: an RE2 regular expression; missing closing ))");
    assertThat(error(Map.of("entryType", "REGEX", "overrides", List.of("(?<=x)y"))))
        .startsWith("overrides[0]: (?<=x)y (expected: an RE2 regular expression; ");
    assertThat(error(Map.of("overrides", "a"))).isEqualTo("overrides: expected a list of strings");
    assertThat(error(Map.of("blacklist", "yes")))
        .isEqualTo("blacklist: yes (expected: true or false)");
    assertThat(error(Map.of("providerURL", "http://h/"))).isEqualTo("providerURL: unknown param");
  }

  @Test
  void invalidOverrideNamesItsPath() {
    try {
      parse(Map.of("entryType", "IP_ADDRESSES", "overrides", List.of("1.2.3.4", "x")));
      throw new AssertionError("expected an error");
    } catch (AdapterConfigException e) {
      assertThat(e.path()).isEqualTo("overrides[1]");
    }
  }
}
