package dev.offpath.cache.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offpath.core.adapter.QuotaResult;
import dev.offpath.core.time.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class QuotaPoolsTest {

  private record Key(String quota, long signature) {}

  private final FakeTicker ticker = new FakeTicker();
  private final List<Key> backendsBuilt = new ArrayList<>();

  private QuotaPools<Key> pools(long maximum) {
    return new QuotaPools<>(
        key -> {
          backendsBuilt.add(key);
          return amount ->
              CompletableFuture.completedFuture(
                  QuotaResult.granted(key.signature() == 0 ? 0 : amount, Duration.ofMinutes(1)));
        },
        ticker,
        PrefetchOptions.defaults(),
        maximum,
        Duration.ofMinutes(5));
  }

  @Test
  void onePoolPerKeyWithItsOwnBackend() {
    QuotaPools<Key> pools = pools(100);
    Key open = new Key("requestcount", 1);
    Key exhausted = new Key("requestcount", 0);

    for (int i = 0; i < 5; i++) {
      assertThat(pools.check(open, 1)).isTrue();
      assertThat(pools.check(exhausted, 1)).isEqualTo(i == 0);
      ticker.advanceMillis(10);
    }

    assertThat(pools.pool(open)).isSameAs(pools.pool(open));
    assertThat(backendsBuilt).containsExactly(open, exhausted);
    assertThat(pools.stats().passes()).isEqualTo(6);
    assertThat(pools.stats().denials()).isEqualTo(4);
  }

  @Test
  void idlePoolsAreDropped() {
    QuotaPools<Key> pools = pools(100);
    QuotaPool first = pools.pool(new Key("q", 1));
    ticker.advance(Duration.ofMinutes(4));
    pools.check(new Key("q", 2), 1);
    assertThat(pools.size()).isEqualTo(2);

    ticker.advance(Duration.ofMinutes(2));
    assertThat(pools.size()).isEqualTo(1);
    assertThat(pools.pool(new Key("q", 1))).isNotSameAs(first);
  }

  @Test
  void poolCountIsBounded() {
    QuotaPools<Key> pools = pools(10);
    for (int i = 0; i < 100; i++) {
      pools.check(new Key("q", i + 1), 1);
    }
    assertThat(pools.size()).isLessThanOrEqualTo(10);
  }

  @Test
  void rejectsBadBounds() {
    assertThatThrownBy(() -> pools(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maximumPools: 0 (expected: > 0)");
  }
}
