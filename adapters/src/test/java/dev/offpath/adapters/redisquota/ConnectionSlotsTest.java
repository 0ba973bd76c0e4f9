package dev.offpath.adapters.redisquota;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.testing.Await;
import dev.offpath.core.testing.RedisServer;
import dev.offpath.core.time.FakeTicker;
import dev.offpath.core.time.Ticker;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link ConnectionSlots} against a real redis-server, with connects held back by the test. */
class ConnectionSlotsTest {

  private static final Duration WAIT = Duration.ofSeconds(5);

  private RedisServer redis;
  private RedisClient client;

  @BeforeEach
  void start() throws Exception {
    redis = RedisServer.start();
    client = RedisClient.create(LinkSupport.resources(), RedisURI.create("127.0.0.1", redis.port()));
  }

  @AfterEach
  void stop() throws Exception {
    client.shutdown(0, 2, TimeUnit.SECONDS);
    redis.close();
  }

  @Test
  void aConnectInFlightAtResetIsClosedAndTheSlotConnectsAgain() throws Exception {
    // Each connect completes only when the test releases it: the first one is in flight when
    // reset() comes (as a connect that asked the sentinels before a switch would be).
    List<CompletableFuture<Void>> gates = new CopyOnWriteArrayList<>();
    List<CompletableFuture<StatefulRedisConnection<String, String>>> made =
        new CopyOnWriteArrayList<>();
    ConnectionSlots<StatefulRedisConnection<String, String>> slots =
        new ConnectionSlots<>(
            1,
            () -> {
              CompletableFuture<StatefulRedisConnection<String, String>> connection =
                  client.connectAsync(StringCodec.UTF8, RedisURI.create("127.0.0.1", redis.port()))
                      .toCompletableFuture();
              made.add(connection);
              CompletableFuture<Void> gate = new CompletableFuture<>();
              gates.add(gate); // last: a gate's index is its connection's in made
              return gate.thenCompose(v -> connection);
            },
            c -> {},
            true,
            Ticker.system(),
            Duration.ofMinutes(1), // a retry only if the slot asks at once, never by waiting
            "test");
    assertThat(gates).hasSize(1);
    assertThat(slots.pick()).isNull();

    slots.reset();
    assertThat(gates).as("the reset waits for the connect in flight").hasSize(1);
    gates.get(0).complete(null);

    StatefulRedisConnection<String, String> stale = made.get(0).get(5, TimeUnit.SECONDS);
    Await.until("the second connect", WAIT, () -> gates.size() == 2);
    assertThat(gates).as("a new connect once the stale one is in").hasSize(2);
    assertThat(slots.pick()).as("the stale connection is never handed out").isNull();
    gates.get(1).complete(null);
    StatefulRedisConnection<String, String> fresh = made.get(1).get(5, TimeUnit.SECONDS);
    slots.awaitConnected(Duration.ofSeconds(5));

    assertThat(slots.pick()).isSameAs(fresh);
    assertThat(fresh.sync().ping()).isEqualTo("PONG");
    Await.until("the stale connection closed", WAIT, () -> !stale.isOpen());
    assertThat(stale.isOpen()).as("the stale connection closed").isFalse();
    slots.close();
  }

  @Test
  void aResetClosesEveryConnectionAndMakesNewOnes() throws Exception {
    List<StatefulRedisConnection<String, String>> made = new CopyOnWriteArrayList<>();
    ConnectionSlots<StatefulRedisConnection<String, String>> slots =
        new ConnectionSlots<>(
            2,
            () ->
                client.connectAsync(StringCodec.UTF8, RedisURI.create("127.0.0.1", redis.port()))
                    .thenApply(
                        c -> {
                          made.add(c);
                          return c;
                        }),
            c -> {},
            true,
            Ticker.system(),
            Duration.ofMinutes(1),
            "test");
    assertThat(slots.awaitConnected(Duration.ofSeconds(5))).isTrue();
    assertThat(slots.connected()).isEqualTo(2);
    List<StatefulRedisConnection<String, String>> before = List.copyOf(made);

    slots.reset();
    assertThat(slots.awaitConnected(Duration.ofSeconds(5))).isTrue();
    Await.until("both slots connected", WAIT, () -> slots.connected() == 2);
    assertThat(slots.connected()).isEqualTo(2);
    assertThat(made).hasSize(4);
    for (StatefulRedisConnection<String, String> old : before) {
      Await.until("an old connection closed", WAIT, () -> !old.isOpen());
      assertThat(old.isOpen()).as("a connection from before the reset closed").isFalse();
    }
    for (int i = 0; i < 4; i++) {
      StatefulRedisConnection<String, String> c = slots.pick();
      assertThat(c).isNotNull().isNotIn(before);
    }
    slots.close();
  }

  @Test
  void aSlotThatFailedToConnectRetriesSoonThenBacksOffToTheInterval() throws Exception {
    FakeTicker ticker = new FakeTicker().advance(Duration.ofSeconds(1));
    AtomicInteger attempts = new AtomicInteger();
    AtomicBoolean refuse = new AtomicBoolean(true);
    ConnectionSlots<StatefulRedisConnection<String, String>> slots =
        new ConnectionSlots<>(
            1,
            () -> {
              attempts.incrementAndGet();
              if (refuse.get()) {
                return CompletableFuture.failedFuture(new RedisConnectionException("refused"));
              }
              return client.connectAsync(
                  StringCodec.UTF8, RedisURI.create("127.0.0.1", redis.port()));
            },
            c -> {},
            true,
            ticker,
            Duration.ofSeconds(1),
            "test");
    assertThat(attempts).hasValue(1);
    // Waits after each failure: 50, 100, 200, 400, 800 ms, then the 1 s interval.
    int expected = 1;
    for (long wait : new long[] {50, 100, 200, 400, 800, 1000, 1000}) {
      ticker.advanceMillis(wait - 1);
      assertThat(slots.pick()).isNull();
      assertThat(attempts).as("%d ms after a failure", wait - 1).hasValue(expected);
      ticker.advanceMillis(1);
      assertThat(slots.pick()).isNull();
      assertThat(attempts).as("%d ms after a failure", wait).hasValue(++expected);
    }

    refuse.set(false);
    ticker.advanceMillis(1000);
    slots.pick();
    assertThat(slots.awaitConnected(Duration.ofSeconds(5))).isTrue();
    assertThat(slots.pick()).isNotNull();

    // A reset (a Sentinel switch) starts over: the first retry after 50 ms again.
    refuse.set(true);
    int before = attempts.get();
    slots.reset();
    assertThat(attempts).hasValue(before + 1);
    ticker.advanceMillis(50);
    assertThat(slots.pick()).isNull();
    assertThat(attempts).hasValue(before + 2);
    slots.close();
  }
}
