package dev.offpath.adapters.list;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.adapters.testing.Samples;
import dev.offpath.adapters.testing.TestEnvironment;
import dev.offpath.core.adapter.CheckHandler;
import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.attribute.IpAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ListHandlerTest {

  private final TestEnvironment env = new TestEnvironment();
  private CheckHandler handler;

  @AfterEach
  void tearDown() {
    if (handler != null) {
      handler.close();
    }
    env.close();
  }

  private CheckHandler handler(Map<String, ?> params) throws Exception {
    ListCheckerFactory factory = new ListCheckerFactory();
    handler = (CheckHandler) factory.create(factory.parse(Params.of(params)), env);
    return handler;
  }

  private CheckHandler handler(String entryType, boolean blacklist, String... overrides)
      throws Exception {
    return handler(
        Map.of("entryType", entryType, "blacklist", blacklist, "overrides", List.of(overrides)));
  }

  private StatusCode code(Object value) {
    return check(value).status().code();
  }

  private CheckResult check(Object value) {
    Map<String, Object> fields = new HashMap<>();
    if (value != null) {
      fields.put("value", value);
    }
    return handler.check(new Instance("sourceip.listentry.istio-system", "listentry", fields));
  }

  @Test
  void whitelistOfStrings() throws Exception {
    handler("STRINGS", false, "alice", "bob", "");
    assertThat(check("alice")).isEqualTo(CheckResult.ok(Duration.ofSeconds(300), 10000));
    assertThat(check("carol"))
        .isEqualTo(
            CheckResult.denied(
                StatusCode.PERMISSION_DENIED,
                "carol is not whitelisted",
                Duration.ofSeconds(300),
                10000));
    assertThat(code("Alice")).isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(code("")).isEqualTo(StatusCode.PERMISSION_DENIED);
  }

  @Test
  void blacklistOfStrings() throws Exception {
    handler(
        Map.of(
            "overrides",
            List.of("mallory"),
            "blacklist",
            true,
            "cachingInterval",
            "2s",
            "cachingUseCount",
            7));
    assertThat(check("mallory"))
        .isEqualTo(
            CheckResult.denied(
                StatusCode.PERMISSION_DENIED, "mallory is blacklisted", Duration.ofSeconds(2), 7));
    assertThat(check("alice")).isEqualTo(CheckResult.ok(Duration.ofSeconds(2), 7));
  }

  @Test
  void caseInsensitiveStrings() throws Exception {
    handler("CASE_INSENSITIVE_STRINGS", false, "Alice", "BOB");
    assertThat(code("alice")).isEqualTo(StatusCode.OK);
    assertThat(code("ALICE")).isEqualTo(StatusCode.OK);
    assertThat(code("bOb")).isEqualTo(StatusCode.OK);
    assertThat(code("carol")).isEqualTo(StatusCode.PERMISSION_DENIED);
  }

  @Test
  void ipv4RangesAndAddresses() throws Exception {
    handler(Samples.handlerParams("mixer-rule-deny-ip.yaml", "listchecker").get(0));
    assertThat(code(IpAddress.parse("10.57.3.4"))).isEqualTo(StatusCode.OK);
    assertThat(code("10.57.255.255")).isEqualTo(StatusCode.OK);
    assertThat(code(IpAddress.ofBytes(new byte[] {10, 57, 0, 0}))).isEqualTo(StatusCode.OK);
    assertThat(check(IpAddress.parse("10.58.0.1")).status())
        .isEqualTo(PolicyStatus.of(StatusCode.PERMISSION_DENIED, "10.58.0.1 is not whitelisted"));
    // the sample's default for a missing source.ip
    assertThat(code(IpAddress.parse("0.0.0.0"))).isEqualTo(StatusCode.PERMISSION_DENIED);
    // IPv4-mapped IPv6 form of a listed address
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xff;
    mapped[11] = (byte) 0xff;
    mapped[12] = 10;
    mapped[13] = 57;
    mapped[15] = 9;
    assertThat(code(IpAddress.ofBytes(mapped))).isEqualTo(StatusCode.OK);
  }

  @Test
  void singleAddressesAndEdgesOfRanges() throws Exception {
    handler(
        "IP_ADDRESSES",
        false,
        "192.168.1.7",
        "172.16.0.0/12",
        "0.0.0.0/0",
        "2001:db8::/32",
        "fe80::1");
    assertThat(code("192.168.1.7")).isEqualTo(StatusCode.OK);
    assertThat(code("8.8.8.8")).isEqualTo(StatusCode.OK);
    handler.close();
    handler("IP_ADDRESSES", false, "192.168.1.7", "172.16.0.0/12", "2001:db8::/32", "fe80::1");
    assertThat(code("192.168.1.8")).isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(code("172.31.255.255")).isEqualTo(StatusCode.OK);
    assertThat(code("172.32.0.0")).isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(code("172.15.255.255")).isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(code(IpAddress.parse("2001:db8:ffff::1"))).isEqualTo(StatusCode.OK);
    assertThat(code("2001:db9::1")).isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(code("fe80::1")).isEqualTo(StatusCode.OK);
    assertThat(code("fe80::2")).isEqualTo(StatusCode.PERMISSION_DENIED);
  }

  @Test
  void ipFamiliesDoNotMix() throws Exception {
    handler("IP_ADDRESSES", false, "::/0");
    assertThat(code("2001:db8::1")).isEqualTo(StatusCode.OK);
    assertThat(code("10.0.0.1")).isEqualTo(StatusCode.PERMISSION_DENIED);
  }

  @Test
  void ipBlacklistWithIpv6() throws Exception {
    handler("IP_ADDRESSES", true, "2001:db8:abcd::/48");
    assertThat(check(IpAddress.parse("2001:db8:abcd:12::1")).status())
        .isEqualTo(
            PolicyStatus.of(
                StatusCode.PERMISSION_DENIED, "2001:db8:abcd:12:0:0:0:1 is blacklisted"));
    assertThat(code(IpAddress.parse("2001:db8:abce::1"))).isEqualTo(StatusCode.OK);
  }

  @Test
  void valueThatIsNoIpAddress() throws Exception {
    handler("IP_ADDRESSES", false, "10.0.0.0/8");
    assertThat(check("not-an-ip").status())
        .isEqualTo(
            PolicyStatus.of(StatusCode.INVALID_ARGUMENT, "not-an-ip is not a valid IP address"));
    assertThat(check(42L).status())
        .isEqualTo(
            PolicyStatus.of(StatusCode.INVALID_ARGUMENT, "42 is not a valid string or IP address"));
    assertThat(check(null).status())
        .isEqualTo(
            PolicyStatus.of(
                StatusCode.INVALID_ARGUMENT, "value is absent (expected: a string or IP address)"));
  }

  @Test
  void ipValueOnAStringList() throws Exception {
    handler("STRINGS", false, "10.1.2.3");
    assertThat(code(IpAddress.parse("10.1.2.3"))).isEqualTo(StatusCode.OK);
  }

  @Test
  void regexMatchesAnywhere() throws Exception {
    handler("REGEX", false, "^/api/v[0-9]+/", "admin", "^exact$");
    assertThat(code("/api/v2/users")).isEqualTo(StatusCode.OK);
    assertThat(code("/web/admin/panel")).isEqualTo(StatusCode.OK);
    assertThat(code("exact")).isEqualTo(StatusCode.OK);
    assertThat(code("not exact")).isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(code("/web/api/v2/")).isEqualTo(StatusCode.PERMISSION_DENIED);
  }

  @Test
  void emptyWhitelistDeniesEverything() throws Exception {
    handler(Map.of());
    assertThat(code("anything")).isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(env.scheduler.pending()).isZero();
  }
}
