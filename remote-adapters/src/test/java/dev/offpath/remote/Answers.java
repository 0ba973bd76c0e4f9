package dev.offpath.remote;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import dev.offpath.core.remote.RemoteTemplate;

/** Adapter answers built from the template's own output type (what a real adapter sends). */
final class Answers {

  private Answers() {}

  static byte[] check(RemoteTemplate t, int code, String message, long validSeconds, int uses) {
    Descriptor type = RemoteCheck.outputType(t);
    DynamicMessage.Builder b = DynamicMessage.newBuilder(type);
    if (code != 0 || !message.isEmpty()) {
      FieldDescriptor sf = type.findFieldByName("status");
      Descriptor st = sf.getMessageType();
      b.setField(
          sf,
          DynamicMessage.newBuilder(st)
              .setField(st.findFieldByName("code"), code)
              .setField(st.findFieldByName("message"), message)
              .build());
    }
    if (validSeconds != 0) {
      FieldDescriptor df = type.findFieldByName("valid_duration");
      Descriptor dt = df.getMessageType();
      b.setField(df, DynamicMessage.newBuilder(dt).setField(dt.findFieldByName("seconds"), validSeconds).build());
    }
    if (uses != 0) {
      b.setField(type.findFieldByName("valid_use_count"), uses);
    }
    return b.build().toByteArray();
  }

  /** A QuotaResult granting {@code granted} to {@code name}, valid {@code validSeconds}. */
  static byte[] quota(RemoteTemplate t, String name, long granted, long validSeconds) {
    Descriptor type = RemoteCheck.outputType(t);
    FieldDescriptor quotas = type.findFieldByName("quotas");
    Descriptor entry = quotas.getMessageType();
    FieldDescriptor vf = entry.findFieldByName("value");
    Descriptor result = vf.getMessageType();
    DynamicMessage.Builder r = DynamicMessage.newBuilder(result);
    r.setField(result.findFieldByName("granted_amount"), granted);
    FieldDescriptor df = result.findFieldByName("valid_duration");
    Descriptor dt = df.getMessageType();
    r.setField(df, DynamicMessage.newBuilder(dt).setField(dt.findFieldByName("seconds"), validSeconds).build());
    return DynamicMessage.newBuilder(type)
        .addRepeatedField(
            quotas,
            DynamicMessage.newBuilder(entry)
                .setField(entry.findFieldByName("key"), name)
                .setField(vf, r.build())
                .build())
        .build()
        .toByteArray();
  }

  /** The empty answer (ReportResult). */
  static byte[] empty() {
    return new byte[0];
  }
}
