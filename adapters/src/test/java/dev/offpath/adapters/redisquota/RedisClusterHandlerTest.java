package dev.offpath.adapters.redisquota;

import static dev.offpath.adapters.redisquota.TestHandlers.instance;
import static dev.offpath.adapters.redisquota.TestHandlers.quota;
import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.adapter.Instance;
import dev.offpath.core.testing.RedisCluster;
import io.lettuce.core.cluster.SlotHash;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The handler on a real 3-master / 3-replica Redis Cluster. */
class RedisClusterHandlerTest {

  @TempDir static Path dir;
  private static RedisCluster cluster;
  private TestHandlers handlers;

  @BeforeAll
  static void start() throws Exception {
    cluster = RedisCluster.start(dir.resolve("cluster"));
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  @BeforeEach
  void reset() throws Exception {
    cluster.reset();
    handlers = new TestHandlers();
  }

  @AfterEach
  void close() {
    handlers.close();
  }

  @Test
  void scriptsRunOnTheMasterOfTheKeysSlot() throws Exception {
    // A generous timeout: this test is about routing, and on a loaded machine a call may take
    // longer than the default 50 ms (it then fails, and its grant would be lost for the window).
    RedisQuotaHandler h =
        handlers.handler(cluster.url(), quota("maxAmount", 20), "timeout", "10s");
    assertThat(h.connections()).isEqualTo(1);
    for (int n = 0; n < 30; n++) {
      Instance i = instance("user", "u" + n);
      assertThat(h.fetch(i, 15).get(20, TimeUnit.SECONDS).granted()).isEqualTo(15);
      assertThat(h.fetch(i, 10).get(20, TimeUnit.SECONDS).granted()).isEqualTo(5);
      assertThat(cluster.get(h.redisKey(i))).isEqualTo("20");
    }
    RedisLink.Topology topology = h.link().topology();
    assertThat(topology).isEqualTo(new RedisLink.Topology(3, 3));
  }

  @Test
  void theHashTagSpansQuotaAndEveryDimension() throws Exception {
    RedisQuotaHandler h = handlers.handler(cluster.url(), quota());
    String key = h.redisKey(instance("user", "a}b{c", "path", "/x"));
    assertThat(key)
        .isEqualTo("offpath:quota:{" + TestHandlers.QUOTA + ":path=/x,user=a\\)b\\(c}:fixed");
    assertThat(SlotHash.getSlot(key))
        .isEqualTo(SlotHash.getSlot(TestHandlers.QUOTA + ":path=/x,user=a\\)b\\(c"));
  }
}
