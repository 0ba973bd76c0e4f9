package dev.offpath.remote;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.attribute.StringMap;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Sample instances of Istio's metric and authorization templates, and the reference encoding:
 * the same instance built as a {@link DynamicMessage} from the descriptor, fields by number, map
 * entries by key (what the encoder writes).
 */
final class Instances {

  private Instances() {}

  static Instance metric(int i) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("value", (long) (1000 + i));
    f.put("dimensions.source_service", "productpage.default.svc.cluster.local");
    f.put("dimensions.destination_service", "reviews.default.svc.cluster.local");
    f.put("dimensions.response_code", 200L);
    f.put("dimensions.latency", Duration.ofMillis(12 + i));
    f.put("dimensions.ratio", 0.25);
    f.put("dimensions.secure", Boolean.TRUE);
    f.put("dimensions.source_ip", IpAddress.parse("10.1.2.3"));
    f.put("dimensions.when", Instant.ofEpochSecond(1_700_000_000L, 5_000));
    f.put("monitored_resource_type", "UNSPECIFIED");
    f.put("monitored_resource_dimensions.headers", StringMap.of(Map.of("x-a", "1", "x-b", "2")));
    return new Instance("requestcount.instance.istio-system", "metric", f);
  }

  static Instance authorization(String user) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("subject.user", user);
    f.put("subject.groups", "admins");
    f.put("subject.properties.role", "reader");
    f.put("subject.properties.source_ip", IpAddress.parse("::1"));
    f.put("action.namespace", "default");
    f.put("action.service", "reviews");
    f.put("action.method", "GET");
    f.put("action.path", "/reviews/1");
    f.put("action.properties.size", 42L);
    return new Instance("authz.instance.default", "authorization", f);
  }

  /** {@code instance} as a DynamicMessage of {@code type}, built with the generic API. */
  static DynamicMessage reference(Descriptor type, Instance instance) {
    return build(type, "", instance.fields(), instance.name());
  }

  private static DynamicMessage build(
      Descriptor type, String prefix, Map<String, Object> fields, String name) {
    DynamicMessage.Builder b = DynamicMessage.newBuilder(type);
    for (FieldDescriptor f : type.getFields()) {
      String path = prefix + f.getName();
      if (f.getNumber() == InstanceEncoder.NAME_FIELD) {
        b.setField(f, name);
      } else if (f.isMapField()) {
        TreeMap<String, Object> entries = new TreeMap<>();
        fields.forEach(
            (k, v) -> {
              if (k.startsWith(path + ".")) {
                entries.put(k.substring(path.length() + 1), v);
              }
            });
        Descriptor entry = f.getMessageType();
        for (Map.Entry<String, Object> e : entries.entrySet()) {
          FieldDescriptor vf = entry.findFieldByName("value");
          b.addRepeatedField(
              f,
              DynamicMessage.newBuilder(entry)
                  .setField(entry.findFieldByName("key"), e.getKey())
                  .setField(vf, vf.getJavaType() == FieldDescriptor.JavaType.MESSAGE
                      ? value(vf.getMessageType(), e.getValue())
                      : e.getValue())
                  .build());
        }
      } else if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE
          && f.getMessageType().getFullName().equals("istio.policy.v1beta1.Value")) {
        Object v = fields.get(path);
        if (v != null) {
          b.setField(f, value(f.getMessageType(), v));
        }
      } else if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        boolean any = fields.keySet().stream().anyMatch(k -> k.startsWith(path + "."));
        if (any) {
          b.setField(f, build(f.getMessageType(), path + ".", fields, name));
        }
      } else {
        Object v = fields.get(path);
        if (v != null) {
          b.setField(f, v);
        }
      }
    }
    return b.build();
  }

  /** An istio.policy.v1beta1.Value holding {@code v}. */
  static Message value(Descriptor valueType, Object v) {
    DynamicMessage.Builder b = DynamicMessage.newBuilder(valueType);
    switch (v) {
      case String s -> b.setField(valueType.findFieldByName("string_value"), s);
      case Long l -> b.setField(valueType.findFieldByName("int64_value"), l);
      case Double d -> b.setField(valueType.findFieldByName("double_value"), d);
      case Boolean x -> b.setField(valueType.findFieldByName("bool_value"), x);
      case IpAddress ip -> {
        FieldDescriptor f = valueType.findFieldByName("ip_address_value");
        b.setField(f, wrap(f.getMessageType(), com.google.protobuf.ByteString.copyFrom(ip.bytes())));
      }
      case Instant t -> {
        FieldDescriptor f = valueType.findFieldByName("timestamp_value");
        b.setField(f, wrap(f.getMessageType(), seconds(f.getMessageType().findFieldByName("value").getMessageType(), t.getEpochSecond(), t.getNano())));
      }
      case Duration d -> {
        FieldDescriptor f = valueType.findFieldByName("duration_value");
        b.setField(f, wrap(f.getMessageType(), seconds(f.getMessageType().findFieldByName("value").getMessageType(), d.getSeconds(), d.getNano())));
      }
      case StringMap m -> {
        FieldDescriptor f = valueType.findFieldByName("string_map_value");
        Descriptor sm = f.getMessageType();
        FieldDescriptor entries = sm.findFieldByName("value");
        DynamicMessage.Builder mb = DynamicMessage.newBuilder(sm);
        for (Map.Entry<String, String> e : m.asMap().entrySet()) {
          Descriptor et = entries.getMessageType();
          mb.addRepeatedField(
              entries,
              DynamicMessage.newBuilder(et)
                  .setField(et.findFieldByName("key"), e.getKey())
                  .setField(et.findFieldByName("value"), e.getValue())
                  .build());
        }
        b.setField(f, mb.build());
      }
      default -> throw new IllegalArgumentException(v.getClass().toString());
    }
    return b.build();
  }

  private static Message wrap(Descriptor wrapper, Object inner) {
    return DynamicMessage.newBuilder(wrapper).setField(wrapper.findFieldByName("value"), inner).build();
  }

  private static Message seconds(Descriptor type, long seconds, int nanos) {
    DynamicMessage.Builder b = DynamicMessage.newBuilder(type);
    b.setField(type.findFieldByName("seconds"), seconds);
    b.setField(type.findFieldByName("nanos"), nanos);
    return b.build();
  }
}
