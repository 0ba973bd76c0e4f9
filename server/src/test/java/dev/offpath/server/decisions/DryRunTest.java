package dev.offpath.server.decisions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.cache.CachingDecider;
import dev.offpath.cache.CheckCache;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.attribute.AttributeJson;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.config.ConfigLoader;
import dev.offpath.core.runtime.AttributeReads;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.DecisionListener;
import dev.offpath.core.runtime.DryRunDenial;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.core.runtime.RuntimeMetrics;
import dev.offpath.core.runtime.RuntimeServices;
import dev.offpath.core.time.Ticker;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Dry-run rules with the real adapters (denier, memquota) and the YAML loader, behind the real check
 * cache: a dry-run rule never denies, adds no header operations, reports its would-be denial on
 * every request (cache hits included), and a dry-run quota counts in a ledger of its own.
 */
class DryRunTest {

  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private PolicyStore store;
  private CheckCache cache;
  private CachingDecider decider;
  private final List<Seen> seen = new ArrayList<>();

  record Seen(Decision decision, boolean cached, Map<String, @Nullable Object> reads) {}

  @BeforeEach
  void load() throws Exception {
    AdapterRegistry adapters = AdapterRegistry.installed();
    store =
        new PolicyStore(
            new RuntimeServices(
                adapters, Ticker.system(), Clock.systemUTC(), scheduler, RuntimeMetrics.NOOP, false));
    store.install(new ConfigLoader(adapters).load(List.of(policy())));
    cache = CheckCache.builder(Ticker.system()).executor(Runnable::run).build();
    DecisionListener listener =
        (attributes, decision, cached, reads) ->
            seen.add(new Seen(decision, cached, AttributeReads.of(reads.get())));
    decider = CachingDecider.of(store, cache, listener);
  }

  @AfterEach
  void stop() {
    store.close();
    scheduler.shutdownNow();
  }

  static Path policy() throws URISyntaxException {
    return Path.of(Objects.requireNonNull(DryRunTest.class.getResource("/decisions/policy.yaml")).toURI());
  }

  private Decision check(String json) {
    Attributes a = AttributeJson.parse(json, decider.manifest());
    return decider.check(a);
  }

  @Test
  void dryRunDenialNeverDeniesAndAppliesNoHeaderOperations() {
    Decision d = check("{\"request.url_path\": \"/beta/x\", \"request.headers\": {\"x-user\": \"carol\"}}");

    assertThat(d.allowed()).isTrue();
    assertThat(d.requestHeaderMutations()).isEmpty();
    assertThat(d.dryRunDenials())
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.rule()).isEqualTo("closebeta.rule.istio-system");
              assertThat(x.handler()).isEqualTo("denybeta.handler.istio-system");
              assertThat(x.status().code()).isEqualTo(StatusCode.PERMISSION_DENIED);
              assertThat(x.status().message()).contains("beta is closed");
              assertThat(x.quota()).isFalse();
            });
  }

  @Test
  void aCachedDecisionReportsItsDryRunDenialAgainWithTheSameReads() {
    String beta = "{\"request.url_path\": \"/beta/x\", \"request.headers\": {\"x-user\": \"carol\"}}";
    check(beta);
    check(beta);

    assertThat(cache.stats().hits()).isEqualTo(1);
    assertThat(seen).hasSize(2);
    assertThat(seen.get(0).cached()).isFalse();
    assertThat(seen.get(1).cached()).isTrue();
    assertThat(seen.get(1).decision().dryRunDenials())
        .extracting(DryRunDenial::rule)
        .containsExactly("closebeta.rule.istio-system");
    assertThat(seen.get(1).reads()).isEqualTo(seen.get(0).reads());
    assertThat(seen.get(0).reads())
        .containsEntry("request.url_path", "/beta/x")
        .containsEntry("request.headers[x-user]", "carol")
        .doesNotContainKey("request.headers[x-internal]") // && stopped before it
        .doesNotContainKey("request.headers");
  }

  @Test
  void anEnforcingDenialIsUnchangedByDryRunRules() {
    Decision d = check("{\"request.url_path\": \"/admin\", \"request.headers\": {}}");

    assertThat(d.allowed()).isFalse();
    assertThat(d.decidingRule()).isEqualTo("denyadmin.rule.istio-system");
    assertThat(d.dryRunDenials()).isEmpty();
    assertThat(seen.get(0).reads())
        .containsEntry("request.url_path", "/admin")
        .containsEntry("request.headers[x-internal]", null);
  }

  @Test
  void dryRunQuotaCountsWouldBeDenialsInItsOwnLedger() {
    String alice = "{\"request.url_path\": \"/\", \"request.headers\": {\"x-user\": \"alice\"}}";
    String bob = "{\"request.url_path\": \"/\", \"request.headers\": {\"x-user\": \"bob\"}}";

    List<Decision> aliceDecisions = List.of(check(alice), check(alice), check(alice));
    assertThat(aliceDecisions).allSatisfy(d -> assertThat(d.allowed()).isTrue());
    assertThat(aliceDecisions.get(0).dryRunDenials()).isEmpty();
    assertThat(aliceDecisions.get(1).dryRunDenials()).isEmpty();
    assertThat(aliceDecisions.get(2).dryRunDenials())
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.rule()).isEqualTo("userquota.rule.istio-system");
              assertThat(x.quota()).isTrue();
              assertThat(x.status().code()).isEqualTo(StatusCode.RESOURCE_EXHAUSTED);
            });

    // bob is limited for real by bobquota and counted by the dry-run userquota on the same handler
    // and quota: the dry-run rule takes none of the real tokens, so bob gets exactly his 2.
    Decision b1 = check(bob);
    Decision b2 = check(bob);
    Decision b3 = check(bob);
    assertThat(b1.allowed()).isTrue();
    assertThat(b2.allowed()).isTrue();
    assertThat(b3.allowed()).isFalse();
    assertThat(b3.status().code()).isEqualTo(StatusCode.RESOURCE_EXHAUSTED);
    assertThat(b3.decidingRule()).isEqualTo("bobquota.rule.istio-system");
  }
}
