package dev.offpath.core.attribute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class AttributeIdsTest {

  @Test
  void sameNameSameIdDistinctNamesDistinctIds() {
    int a = AttributeIds.of("test.ids.a");
    int b = AttributeIds.of("test.ids.b");
    assertThat(AttributeIds.of("test.ids.a")).isEqualTo(a);
    assertThat(AttributeIds.of(new String("test.ids.b".toCharArray()))).isEqualTo(b);
    assertThat(a).isNotEqualTo(b).isNotNegative();
  }

  @Test
  void concurrentFirstRequestsAgreeOnOneIdPerName() throws Exception {
    int threads = 4;
    CountDownLatch start = new CountDownLatch(1);
    ConcurrentHashMap<String, Set<Integer>> seen = new ConcurrentHashMap<>();
    List<Thread> all = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread thread =
          new Thread(
              () -> {
                try {
                  start.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  return;
                }
                for (int i = 0; i < 500; i++) {
                  String name = "test.race." + i;
                  seen.computeIfAbsent(name, n -> ConcurrentHashMap.newKeySet())
                      .add(AttributeIds.of(name));
                }
              });
      thread.start();
      all.add(thread);
    }
    start.countDown();
    for (Thread thread : all) {
      thread.join();
    }
    Set<Integer> ids = new HashSet<>();
    for (Set<Integer> perName : seen.values()) {
      assertThat(perName).hasSize(1);
      ids.add(perName.iterator().next());
    }
    assertThat(ids).hasSize(500);
  }

  @Test
  void slotsMapIdsToPositionsAndUnknownIdsToNone() {
    AttributeIds.Slots slots = AttributeIds.slots(List.of("test.slots.x", "test.slots.y"));
    assertThat(slots.slot(AttributeIds.of("test.slots.x"))).isZero();
    assertThat(slots.slot(AttributeIds.of("test.slots.y"))).isEqualTo(1);
    assertThat(slots.slot(AttributeIds.of("test.slots.later"))).isEqualTo(-1);
    assertThat(slots.slot(-1)).isEqualTo(-1);
    assertThat(slots.slot("test.slots.y")).isEqualTo(1);
    assertThat(slots.slot("test.slots.later")).isEqualTo(-1);
    assertThat(slots.size()).isEqualTo(2);
    assertThat(slots.present(new Object[] {null, "v"})).containsExactly("test.slots.y");
    assertThat(slots.present(new Object[] {"u", "v"}))
        .containsExactly("test.slots.x", "test.slots.y");
  }

  @Test
  void slotsRefuseADuplicateName() {
    assertThatThrownBy(() -> AttributeIds.slots(List.of("test.dup", "test.dup")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("names: test.dup listed twice");
  }
}
