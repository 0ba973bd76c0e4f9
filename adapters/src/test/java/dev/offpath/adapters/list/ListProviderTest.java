package dev.offpath.adapters.list;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.offpath.adapters.testing.TestEnvironment;
import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.attribute.IpAddress;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ListProviderTest {

  private final TestEnvironment env = new TestEnvironment();
  private final AtomicInteger requests = new AtomicInteger();
  private final CountDownLatch served = new CountDownLatch(1);
  private volatile int status = 200;
  private volatile String body = "";
  private HttpServer server;
  private String url;
  private ListHandler handler;

  @BeforeEach
  void startServer() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/list",
        exchange -> {
          requests.incrementAndGet();
          served.countDown();
          byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
          }
        });
    server.start();
    url = "http://127.0.0.1:" + server.getAddress().getPort() + "/list";
  }

  @AfterEach
  void tearDown() {
    if (handler != null) {
      handler.close();
    }
    server.stop(0);
    env.close();
  }

  private ListHandler handler(Map<String, Object> params) throws Exception {
    Map<String, Object> all = new HashMap<>(params);
    all.put("providerUrl", url);
    ListCheckerFactory factory = new ListCheckerFactory();
    handler = (ListHandler) factory.create(factory.parse(Params.of(all)), env);
    return handler;
  }

  private void refresh() throws Exception {
    handler.refreshNow().get(10, TimeUnit.SECONDS);
  }

  private CheckResult check(Object value) {
    return handler.check(new Instance("v.listentry.ns", "listentry", Map.of("value", value)));
  }

  @Test
  void fetchesRefreshesAndMergesOverrides() throws Exception {
    body = "alice\r\nbob\n\n";
    handler(Map.of("overrides", java.util.List.of("root")));
    assertThat(env.scheduler.pending()).isEqualTo(1);
    assertThat(check("alice").status())
        .isEqualTo(
            PolicyStatus.of(StatusCode.UNAVAILABLE, "list from " + url + " is not available yet"));
    assertThat(check("alice").validDuration()).isZero();
    assertThat(check("alice").validUseCount()).isZero();

    refresh();
    assertThat(requests.get()).isEqualTo(1);
    assertThat(check("alice").status().code()).isEqualTo(StatusCode.OK);
    assertThat(check("bob").status().code()).isEqualTo(StatusCode.OK);
    assertThat(check("root").status().code()).isEqualTo(StatusCode.OK);
    assertThat(check("carol").status().code()).isEqualTo(StatusCode.PERMISSION_DENIED);

    body = "carol\n";
    env.ticker.advance(Duration.ofSeconds(60));
    refresh();
    assertThat(check("carol").status().code()).isEqualTo(StatusCode.OK);
    assertThat(check("alice").status().code()).isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(check("root").status().code()).isEqualTo(StatusCode.OK);
  }

  @Test
  void scheduledRefreshFetchesInTheBackground() throws Exception {
    body = "alice\n";
    handler(Map.of());
    assertThat(requests.get()).isZero();
    env.scheduler.runScheduled();
    assertThat(served.await(10, TimeUnit.SECONDS)).isTrue();
    // joins the scheduled fetch if it is still under way
    handler.refreshNow().get(10, TimeUnit.SECONDS);
    assertThat(check("alice").status().code()).isEqualTo(StatusCode.OK);
    handler.close();
    assertThat(env.scheduler.pending()).isZero();
  }

  @Test
  void failedFetchKeepsTheListUntilTtl() throws Exception {
    body = "alice\n";
    handler(Map.of("refreshInterval", "10s", "ttl", "30s"));
    refresh();

    status = 500;
    env.ticker.advance(Duration.ofSeconds(10));
    refresh();
    env.ticker.advance(Duration.ofSeconds(19));
    assertThat(check("alice").status().code()).isEqualTo(StatusCode.OK);

    env.ticker.advance(Duration.ofSeconds(1));
    assertThat(check("alice"))
        .isEqualTo(
            CheckResult.denied(
                StatusCode.UNAVAILABLE,
                "list from "
                    + url
                    + " has expired (no successful fetch within ttl); last error: HTTP status 500",
                Duration.ZERO,
                0));

    // a failure past the ttl drops the list; a success brings it back
    refresh();
    assertThat(check("alice").status().code()).isEqualTo(StatusCode.UNAVAILABLE);
    status = 200;
    refresh();
    assertThat(check("alice").status().code()).isEqualTo(StatusCode.OK);
    env.ticker.advance(Duration.ofSeconds(29));
    assertThat(check("alice").status().code()).isEqualTo(StatusCode.OK);
  }

  @Test
  void unreachableProviderIsAFailedFetch() throws Exception {
    handler(Map.of());
    server.stop(0);
    refresh();
    assertThat(check("alice").status().code()).isEqualTo(StatusCode.UNAVAILABLE);
    assertThat(check("alice").status().message())
        .startsWith("list from " + url + " is not available yet; last error: ");
  }

  @Test
  void ipListIsMixersYaml() throws Exception {
    body = "whitelist:\n  - 10.0.0.0/8\n  - \"2001:db8::/32\"\n  - 192.168.0.1\n";
    handler(
        Map.of(
            "entryType",
            "IP_ADDRESSES",
            "blacklist",
            true,
            "overrides",
            java.util.List.of("1.1.1.1")));
    refresh();
    assertThat(check(IpAddress.parse("10.2.3.4")).status())
        .isEqualTo(PolicyStatus.of(StatusCode.PERMISSION_DENIED, "10.2.3.4 is blacklisted"));
    assertThat(check("2001:db8::5").status().code()).isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(check("192.168.0.1").status().code()).isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(check("1.1.1.1").status().code()).isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(check("8.8.8.8").status().code()).isEqualTo(StatusCode.OK);
  }

  @Test
  void ipListOfQuarterMillionNetworksLoads() throws Exception {
    // 250,000 CIDRs are ~5 MiB of YAML: past SnakeYAML's default 3 MiB limit, within the fetch's.
    StringBuilder yaml = new StringBuilder("whitelist:\n");
    for (int i = 0; i < 250_000; i++) {
      yaml.append("  - \"")
          .append(10 + (i >> 16))
          .append('.')
          .append((i >> 8) & 0xff)
          .append('.')
          .append(i & 0xff)
          .append(".0/24\"\n");
    }
    assertThat(yaml.length()).isGreaterThan(3 << 20);
    body = yaml.toString();
    handler(Map.of("entryType", "IP_ADDRESSES", "blacklist", true));
    refresh();
    assertThat(check(IpAddress.parse("13.208.143.77")).status())
        .isEqualTo(PolicyStatus.of(StatusCode.PERMISSION_DENIED, "13.208.143.77 is blacklisted"));
    assertThat(check(IpAddress.parse("10.0.0.1")).status().code())
        .isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(check(IpAddress.parse("14.0.0.1")).status().code()).isEqualTo(StatusCode.OK);
    assertThat(check(IpAddress.parse("13.208.144.1")).status().code()).isEqualTo(StatusCode.OK);
  }

  @Test
  void badEntryFromProviderKeepsThePreviousList() throws Exception {
    body = "whitelist: [10.0.0.0/8]\n";
    handler(Map.of("entryType", "IP_ADDRESSES"));
    refresh();
    body = "whitelist: [10.0.0.0/8, 10.0.0.300]\n";
    env.ticker.advance(Duration.ofSeconds(100));
    refresh();
    assertThat(check("10.1.1.1").status().code()).isEqualTo(StatusCode.OK);
    env.ticker.advance(Duration.ofSeconds(200));
    assertThat(check("10.1.1.1").status().message())
        .isEqualTo(
            "list from "
                + url
                + " has expired (no successful fetch within ttl); last error: could not parse list"
                + " entry 10.0.0.300 (expected: an IP address or CIDR range)");
    // YAML without a whitelist is an empty list, as in Mixer
    body = "not: [a, whitelist]";
    refresh();
    assertThat(check("10.1.1.1").status())
        .isEqualTo(PolicyStatus.of(StatusCode.PERMISSION_DENIED, "10.1.1.1 is not whitelisted"));
    body = "- 10.0.0.1\n";
    refresh();
    assertThat(check("10.1.1.1").status().code()).isEqualTo(StatusCode.PERMISSION_DENIED);
    env.ticker.advance(Duration.ofSeconds(300));
    assertThat(check("10.1.1.1").status().message())
        .endsWith(
            "last error: could not parse list (expected: YAML with a 'whitelist' list of"
                + " addresses)");
  }

  @Test
  void oversizedListIsAFailedFetch() throws Exception {
    body = "alice\n";
    Map<String, Object> params = new HashMap<>();
    params.put("providerUrl", url);
    ListCheckerFactory factory = new ListCheckerFactory();
    handler = new ListHandler(factory.parse(Params.of(params)), env, 16);
    refresh();
    assertThat(check("alice").status().code()).isEqualTo(StatusCode.OK);
    body = "alice\nbob\ncarol\ndave\n";
    env.ticker.advance(Duration.ofSeconds(300));
    refresh();
    assertThat(check("alice").status().message())
        .endsWith(
            "has expired (no successful fetch within ttl); last error: IOException: list is larger"
                + " than 16 bytes");
  }

  @Test
  void regexListFromProvider() throws Exception {
    body = "^admin-\nbot$\n";
    handler(Map.of("entryType", "REGEX", "blacklist", true));
    refresh();
    assertThat(check("admin-1").status().code()).isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(check("a-bot").status().code()).isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(check("robots").status().code()).isEqualTo(StatusCode.OK);
  }
}
