package dev.offpath.core.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InstanceFieldsTest {

  private static final InstanceFields.Layout LAYOUT =
      new InstanceFields.Layout(List.of("value", "dimensions.code", "dimensions.source"));

  @Test
  void readsAsTheMapOfItsPresentValues() {
    InstanceFields fields = new InstanceFields(LAYOUT, new Object[] {1L, null, "a"});

    assertThat(fields).isEqualTo(Map.of("value", 1L, "dimensions.source", "a"));
    assertThat(fields.hashCode()).isEqualTo(Map.of("value", 1L, "dimensions.source", "a").hashCode());
    assertThat(fields).hasSize(2).containsKey("value").doesNotContainKey("dimensions.code");
    assertThat(fields.get("dimensions.code")).isNull();
    assertThat(fields.get("nope")).isNull();
    assertThat(new LinkedHashMap<>(fields).keySet()).containsExactly("value", "dimensions.source");
    assertThat(fields.value(2)).isEqualTo("a");
    assertThat(LAYOUT.index("dimensions.source")).isEqualTo(2);
    assertThat(LAYOUT.index("nope")).isEqualTo(-1);
  }

  @Test
  void anInstanceKeepsPositionalFieldsAndItsAccessorsWork() {
    InstanceFields fields = new InstanceFields(LAYOUT, new Object[] {1L, 200L, null});
    Instance instance = new Instance("requestcount.metric.ns", "metric", fields);

    assertThat(instance.fields()).isSameAs(fields);
    assertThat(instance.field("value")).isEqualTo(1L);
    assertThat(instance.mapField("dimensions")).isEqualTo(Map.of("code", 200L));
    assertThat(fields).isUnmodifiable();
  }

  @Test
  void refusesMismatchedSizesAndDuplicateNames() {
    assertThatThrownBy(() -> new InstanceFields(LAYOUT, new Object[2]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("values: 2 (expected: 3, the layout's size)");
    assertThatThrownBy(() -> new InstanceFields.Layout(List.of("value", "value")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("names: value listed twice");
  }
}
