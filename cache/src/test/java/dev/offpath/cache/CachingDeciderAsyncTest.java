package dev.offpath.cache;

import static dev.offpath.cache.TestPolicy.config;
import static dev.offpath.cache.TestPolicy.handler;
import static dev.offpath.cache.TestPolicy.instance;
import static dev.offpath.cache.TestPolicy.rule;
import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.cache.TestPolicy.AsyncVerdictAdapter;
import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.MapAttributes;
import dev.offpath.core.attribute.ReferencedAttributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.DecisionListener;
import dev.offpath.core.runtime.Outcome;
import dev.offpath.core.runtime.PendingDecision;
import dev.offpath.core.runtime.PolicyStore;
import dev.offpath.core.time.FakeTicker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The check cache in front of an out-of-process check adapter: a miss waits for the adapter, then
 * is stored by the attributes it read, so identical requests within the adapter's validity cost one
 * call; an answer valid for no time (a failure under FAIL_CLOSE) is never stored.
 */
class CachingDeciderAsyncTest {

  private final FakeTicker ticker = new FakeTicker();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final AsyncVerdictAdapter adapter = new AsyncVerdictAdapter();
  private final PolicyStore store =
      new PolicyStore(TestPolicy.services(ticker, scheduler, adapter));
  private final CheckCache cache =
      CheckCache.builder(ticker).executor(Runnable::run).hashSeed(42).build();
  private final List<String> logged = new CopyOnWriteArrayList<>();
  private final CachingDecider decider =
      new CachingDecider(
          store,
          cache,
          new DecisionListener() {
            @Override
            public void decided(
                Attributes attributes,
                Decision decision,
                boolean cached,
                Supplier<ReferencedAttributes> reads) {
              logged.add(decision.status().code() + (cached ? " hit " : " miss ") + reads.get());
            }
          });

  @BeforeEach
  void install() throws ConfigException {
    store.install(
        config(
            rule(
                "r",
                (String) null,
                handler("remote", adapter, "x"),
                instance("who", "listentry", "request.headers[\"x-user\"]"))));
  }

  @AfterEach
  void stop() {
    store.close();
    scheduler.shutdownNow();
  }

  private static Attributes user(String user, String other) {
    return MapAttributes.of(
        Map.of("request.headers", StringMap.of(Map.of("x-user", user, "x-other", other))));
  }

  private CompletableFuture<CheckResult> nextCall(String expectedValue) {
    Map.Entry<Instance, CompletableFuture<CheckResult>> call = adapter.calls.remove();
    assertThat(call.getKey().field("value")).isEqualTo(expectedValue);
    return call.getValue();
  }

  @Test
  void aPendingMissIsStoredWhenTheAdapterAnswersAndThenServedFromTheCache() {
    Outcome first = decider.decide(user("alice", "1"));
    assertThat(first).isInstanceOf(PendingDecision.class);
    assertThat(logged).isEmpty();
    nextCall("alice")
        .complete(
            new CheckResult(
                PolicyStatus.of(StatusCode.PERMISSION_DENIED, "not on the list"),
                Duration.ofSeconds(10),
                -1));
    assertThat(first.join().status().code()).isEqualTo(StatusCode.PERMISSION_DENIED);

    for (int i = 0; i < 100; i++) {
      Outcome again = decider.decide(user("alice", "other " + i));
      assertThat(again).isInstanceOf(Decision.class);
      assertThat(again.join().status().message()).isEqualTo("remote:not on the list");
    }
    assertThat(adapter.calls).isEmpty();
    assertThat(cache.stats().hits()).isEqualTo(100);
    assertThat(logged.get(0)).startsWith("PERMISSION_DENIED miss ").contains("x-user");
    assertThat(logged.get(1)).startsWith("PERMISSION_DENIED hit ");

    ticker.advanceMillis(10_001);
    assertThat(decider.decide(user("alice", "late"))).isInstanceOf(PendingDecision.class);
    nextCall("alice");
  }

  @Test
  void anAnswerValidForNoTimeIsNeverStored() {
    for (int i = 0; i < 3; i++) {
      Outcome o = decider.decide(user("bob", "x"));
      nextCall("bob")
          .complete(
              new CheckResult(
                  PolicyStatus.of(StatusCode.UNAVAILABLE, "adapter unavailable"), Duration.ZERO, 0));
      assertThat(o.join().status().code()).isEqualTo(StatusCode.UNAVAILABLE);
    }
    assertThat(cache.stats().writes()).isZero();
  }

  @Test
  void differentValuesOfTheAttributeReadAreDifferentCalls() {
    Outcome a = decider.decide(user("carol", "x"));
    Outcome b = decider.decide(user("dave", "x"));
    nextCall("carol").complete(CheckResult.ok(Duration.ofMinutes(1), -1));
    nextCall("dave").complete(CheckResult.ok(Duration.ofMinutes(1), -1));
    assertThat(a.join().allowed()).isTrue();
    assertThat(b.join().allowed()).isTrue();
    assertThat(decider.decide(user("carol", "y"))).isInstanceOf(Decision.class);
    assertThat(decider.decide(user("dave", "y"))).isInstanceOf(Decision.class);
  }
}
