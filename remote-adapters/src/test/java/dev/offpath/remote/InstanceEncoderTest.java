package dev.offpath.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.DynamicMessage;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.InstanceFields;
import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.remote.RemoteTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InstanceEncoderTest {

  private final RemoteTemplate metric = Templates.istio("metric");
  private final RemoteTemplate authorization = Templates.istio("authorization");

  @Test
  void metricInstanceEncodesToTheBytesProtobufWrites() throws Exception {
    InstanceEncoder encoder = InstanceEncoder.of(metric.instance());
    Instance instance = Instances.metric(7);

    byte[] mine = encoder.encode(instance);
    DynamicMessage reference = Instances.reference(metric.instance(), instance);

    assertThat(mine).isEqualTo(reference.toByteArray());
    DynamicMessage parsed = DynamicMessage.parseFrom(metric.instance(), mine);
    assertThat(parsed).isEqualTo(reference);
    assertThat(parsed.getField(metric.instance().findFieldByName("name")))
        .isEqualTo("requestcount.instance.istio-system");
  }

  @Test
  void authorizationInstanceWithNestedMessagesEncodesToTheBytesProtobufWrites() throws Exception {
    InstanceEncoder encoder = InstanceEncoder.of(authorization.instance());
    Instance instance = Instances.authorization("alice");

    byte[] mine = encoder.encode(instance);

    assertThat(mine).isEqualTo(Instances.reference(authorization.instance(), instance).toByteArray());
    DynamicMessage parsed = DynamicMessage.parseFrom(authorization.instance(), mine);
    DynamicMessage subject =
        (DynamicMessage) parsed.getField(authorization.instance().findFieldByName("subject"));
    assertThat(subject.getField(subject.getDescriptorForType().findFieldByName("user")))
        .isEqualTo("alice");
  }

  @Test
  void positionalFieldsEncodeLikeAMap() {
    InstanceEncoder encoder = InstanceEncoder.of(metric.instance());
    Instance byMap = Instances.metric(3);
    List<String> names = new ArrayList<>(byMap.fields().keySet());
    InstanceFields.Layout layout = new InstanceFields.Layout(names);
    Object[] values = names.stream().map(byMap.fields()::get).toArray();
    Instance positional = new Instance(byMap.name(), "metric", new InstanceFields(layout, values));

    assertThat(encoder.encode(positional)).isEqualTo(encoder.encode(byMap));
    assertThat(encoder.encode(positional)).isEqualTo(encoder.encode(byMap)); // cached binding
  }

  @Test
  void mapEntriesAreSortedSoEqualInstancesEncodeEqually() {
    InstanceEncoder encoder = InstanceEncoder.of(metric.instance());
    Instance a = new Instance("m", "metric", Map.of("dimensions.b", "2", "dimensions.a", "1"));
    Instance b =
        new Instance(
            "m", "metric", new java.util.LinkedHashMap<>(Map.of("dimensions.a", "1", "dimensions.b", "2")));
    assertThat(encoder.encode(a)).isEqualTo(encoder.encode(b));
  }

  @Test
  void aDeclaredEmailStringUsesTheEmailWrapper() throws Exception {
    InstanceEncoder encoder =
        InstanceEncoder.of(metric.instance(), Map.of("value", ValueType.EMAIL_ADDRESS));
    byte[] bytes = encoder.encode(new Instance("m", "metric", Map.of("value", "a@b.c")));
    DynamicMessage parsed = DynamicMessage.parseFrom(metric.instance(), bytes);
    DynamicMessage value = (DynamicMessage) parsed.getField(metric.instance().findFieldByName("value"));
    assertThat(value.getAllFields().keySet())
        .extracting(f -> f.getName())
        .containsExactly("email_address_value");
  }

  @Test
  void aFieldTheTemplateLacksOrAValueThatDoesNotFitIsRefused() {
    InstanceEncoder encoder = InstanceEncoder.of(authorization.instance());
    assertThatThrownBy(() -> encoder.encode(new Instance("x", "authorization", Map.of("subject.nickname", "a"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("subject.nickname");
    InstanceEncoder m = InstanceEncoder.of(metric.instance());
    assertThatThrownBy(() -> m.encode(new Instance("x", "metric", Map.of("value", new Object()))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Value");
  }

  /**
   * Positional instances over random layouts (dimension names in any order, some layouts seen
   * again so their binding is reused, keys and values ASCII, non-ASCII and longer than 127 bytes,
   * values of every Value kind) encode to the bytes protobuf writes for the same message.
   */
  @Test
  void randomLayoutsEncodeToTheBytesProtobufWrites() throws Exception {
    InstanceEncoder encoder = InstanceEncoder.of(metric.instance());
    java.util.Random random = new java.util.Random(20261206);
    List<String> pool =
        List.of("a", "b", "reporter", "source_workload", "destination_service", "zz", "ä-dim",
            "x".repeat(150), "response_code", "request_size");
    List<InstanceFields.Layout> layouts = new ArrayList<>();
    for (int round = 0; round < 400; round++) {
      InstanceFields.Layout layout;
      if (!layouts.isEmpty() && random.nextBoolean()) {
        layout = layouts.get(random.nextInt(layouts.size()));
      } else {
        List<String> names = new ArrayList<>();
        for (String dim : pool) {
          if (random.nextInt(3) > 0) {
            names.add("dimensions." + dim);
          }
        }
        if (random.nextBoolean()) {
          names.add("value");
        }
        java.util.Collections.shuffle(names, random);
        layout = new InstanceFields.Layout(names);
        layouts.add(layout);
      }
      Object[] values = new Object[layout.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] =
            switch (random.nextInt(6)) {
              case 0 -> "v" + random.nextInt(1000);
              case 1 -> "ünïcödé " + "é".repeat(random.nextInt(100));
              case 2 -> "y".repeat(100 + random.nextInt(200));
              case 3 -> random.nextLong();
              case 4 -> random.nextDouble();
              default -> random.nextBoolean();
            };
      }
      Instance instance =
          new Instance("m" + round + ".instance.ns", "metric", new InstanceFields(layout, values));
      assertThat(encoder.encode(instance))
          .as("round %d: %s", round, instance.fields())
          .isEqualTo(Instances.reference(metric.instance(), instance).toByteArray());
    }
  }
}
