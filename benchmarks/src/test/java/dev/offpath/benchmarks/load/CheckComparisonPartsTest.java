package dev.offpath.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offpath.benchmarks.Policies;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.envoy.attributes.RequestAttributes;
import dev.offpath.envoy.attributes.RequestLimits;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.io.BufferedReader;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * The parts of {@code load.sh --check-compare} that need no server: h2load's output and request log
 * parsed, the gRPC frame h2load sends, Offpath's Check counts read from an exposition, and the
 * many-rule policy (loads, and decides the load's requests as the twenty-rule policy does).
 */
class CheckComparisonPartsTest {

  /** h2load 1.52's summary, as printed for a gRPC run. */
  static final String OUTPUT =
      """
      starting benchmark...
      spawning thread #0: 4 total client(s). 12 total requests
      Warm-up started for thread #0.
      progress: 10% done
      Warm-up phase is over for thread #0.
      Main benchmark duration is started for thread #0.
      Main benchmark duration is over for thread #0. Stopping all clients.
      Stopped all clients for thread #0

      finished in 5.00s, 41234.60 req/s, 4.13MB/s
      requests: 206173 total, 206237 started, 206173 done, 206173 succeeded, 0 failed, 0 errored, 0 timeout
      status codes: 206173 2xx, 0 3xx, 0 4xx, 0 5xx
      traffic: 20.66MB (21660365) total, 6.30MB (6603613) headers (space savings 91.04%), 3.54MB (3711114) data
                           min         max         mean         sd        +/- sd
      time for request:      171us     45.32ms      1.52ms      1.24ms    89.91%
      time for connect:      102us       240us       168us        55us    75.00%
      time to 1st byte:     4.07ms      4.62ms      4.31ms       235us    50.00%
      req/s           :   10299.12    10319.43    10308.63        9.09    50.00%
      """;

  @Test
  void parsesH2loadsSummary() {
    Histogram h = LatencySummary.newHistogram();
    H2Load.Result r = H2Load.parse(OUTPUT, h, 0);
    assertThat(r.seconds()).isEqualTo(5.0);
    assertThat(r.requestsPerSecond()).isEqualTo(41234.60);
    assertThat(r.total()).isEqualTo(206173);
    assertThat(r.done()).isEqualTo(206173);
    assertThat(r.succeeded()).isEqualTo(206173);
    assertThat(r.status2xx()).isEqualTo(206173);
    assertThat(r.statusOther()).isZero();
    assertThat(r.clean()).isTrue();
    assertThat(r.rate()).isEqualTo(41234.60); // no log window: h2load's own figure
    H2Load.Result logged = H2Load.parse(OUTPUT, h, 2.0);
    assertThat(logged.rate()).isZero(); // the rate is the logged requests' (none here) over the window
  }

  @Test
  void failuresAndNon2xxAreNotClean() {
    String failed =
        OUTPUT.replace("206173 succeeded, 0 failed, 0 errored", "206000 succeeded, 173 failed, 173 errored");
    assertThat(H2Load.parse(failed, LatencySummary.newHistogram(), 0).clean()).isFalse();
    String fiveXx = OUTPUT.replace("206173 2xx, 0 3xx, 0 4xx, 0 5xx", "206172 2xx, 0 3xx, 0 4xx, 1 5xx");
    H2Load.Result r = H2Load.parse(fiveXx, LatencySummary.newHistogram(), 0);
    assertThat(r.statusOther()).isEqualTo(1);
    assertThat(r.clean()).isFalse();
    String ms = OUTPUT.replace("finished in 5.00s", "finished in 250.5ms");
    assertThat(H2Load.parse(ms, LatencySummary.newHistogram(), 0).seconds()).isEqualTo(0.2505);
  }

  @Test
  void outputWithoutASummaryIsAnErrorThatShowsIt() {
    assertThatThrownBy(() -> H2Load.parse("connect: Connection refused\n", LatencySummary.newHistogram(), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("finished in")
        .hasMessageContaining("Connection refused");
  }

  @Test
  void readsTheRequestLogInNanoseconds() throws Exception {
    Histogram h = LatencySummary.newHistogram();
    double window =
        H2Load.readLog(
            new BufferedReader(
                new StringReader("1733430000000000\t200\t1500\n1733430000000100\t200\t250\n1733430000000200\t200\t90000\n")),
            h);
    // first start ...000000 to last end ...000200 + 90000 µs
    assertThat(window).isEqualTo(0.0902);
    assertThat(h.getTotalCount()).isEqualTo(3);
    assertThat(h.getMaxValue()).isBetween(89_900_000L, 90_100_000L);
    assertThat(h.getMinValue()).isBetween(249_000L, 251_000L);
    assertThatThrownBy(() -> H2Load.readLog(new BufferedReader(new StringReader("1\t200\tx\n")), h))
        .hasMessageContaining("line 1");
  }

  @Test
  void framesTheRequestAsGrpcDoes() {
    byte[] msg = CheckTraffic.requests(1, 1).get(0).toByteArray();
    byte[] framed = H2Load.frame(msg);
    assertThat(framed[0]).isZero();
    assertThat(ByteBuffer.wrap(framed, 1, 4).getInt()).isEqualTo(msg.length);
    assertThat(java.util.Arrays.copyOfRange(framed, 5, framed.length)).isEqualTo(msg);
  }

  @Test
  void theCommandAsksForWhatTheComparisonMeasures() {
    List<String> c =
        new H2Load(java.nio.file.Path.of("/usr/bin/h2load"), java.nio.file.Path.of("/tmp"))
            .command(
                9091, java.nio.file.Path.of("/tmp/b"), 4, 16, java.time.Duration.ofSeconds(2),
                java.time.Duration.ofSeconds(10), java.nio.file.Path.of("/tmp/l"));
    assertThat(String.join(" ", c))
        .contains("-c 4", "-m 16", "-D 10s", "--warm-up-time=2s", "-d /tmp/b")
        .contains("-H content-type: application/grpc", "-H te: trailers", "--log-file=/tmp/l")
        .endsWith("http://127.0.0.1:9091/envoy.service.auth.v3.Authorization/Check");
  }

  @Test
  void readsOffpathsCheckCountsByCode() {
    String exposition =
        """
        # TYPE grpc_server_handled_total counter
        grpc_server_handled_total{grpc_code="OK",grpc_method="Check",grpc_service="envoy.service.auth.v3.Authorization",grpc_type="UNARY"} 1234.0
        grpc_server_handled_total{grpc_code="INTERNAL",grpc_method="Check",grpc_service="envoy.service.auth.v3.Authorization",grpc_type="UNARY"} 2.0
        grpc_server_handled_total{grpc_code="OK",grpc_method="StreamAccessLogs",grpc_service="x",grpc_type="CLIENT_STREAMING"} 7.0
        """;
    assertThat(CheckComparison.handledChecks(exposition))
        .isEqualTo(Map.of("OK", 1234.0, "INTERNAL", 2.0));
  }

  @Test
  void theManyRulePolicyLoadsAndDecidesTheLoadAsTheTwentyRuleOne() throws Exception {
    String twenty = Servers.resource("offpath-policy.yaml");
    String many = RulePolicy.withRules(twenty, 2000);
    assertThat(Policies.load(many).rules()).hasSize(2001);
    assertThat(Policies.load(RulePolicy.withRules(twenty, 20)).rules()).hasSize(21);
    assertThatThrownBy(() -> RulePolicy.withRules(twenty, 19)).isInstanceOf(IllegalArgumentException.class);
    try (PolicyStore small = Policies.store(twenty);
        PolicyStore large = Policies.store(many)) {
      List<CheckRequest> requests = CheckTraffic.requests(256, 100);
      int denied = 0;
      for (int i = 0; i < requests.size(); i++) {
        Decision a = small.check(attributes(small, requests.get(i)));
        Decision b = large.check(attributes(large, requests.get(i)));
        assertThat(b.allowed()).as("request %d", i).isEqualTo(a.allowed()).isEqualTo(!CheckTraffic.denied(i));
        assertThat(b.decidingRule()).isEqualTo(a.decidingRule());
        denied += a.allowed() ? 0 : 1;
      }
      assertThat(denied).isEqualTo(4);
    }
  }

  private static dev.offpath.core.attribute.Attributes attributes(PolicyStore store, CheckRequest r)
      throws Exception {
    return RequestAttributes.of(
        r.getAttributes(), store.current().config().manifest(), RequestLimits.DEFAULT);
  }
}
