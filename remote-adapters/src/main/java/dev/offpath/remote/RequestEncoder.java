package dev.offpath.remote;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.offpath.core.config.Variety;
import dev.offpath.core.remote.RemoteTemplate;
import java.io.IOException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Writes a template's {@code Handle<T>Request} around encoded instances: the instance ({@code
 * instance = 1}, repeated {@code instances = 1} for report templates), the handler's {@code
 * adapter_config} ({@code google.protobuf.Any}, encoded once here; omitted when the handler has
 * none), {@code dedup_id}, and for quota templates {@code quota_request} ({@code QuotaRequest{
 * map<string, QuotaParams{int64 amount; bool best_effort}> quotas}} keyed by the instance's full
 * name). Field numbers come from the request's descriptor. Fields are written in number order, as
 * protobuf writes them.
 *
 * <p>Immutable and thread-safe.
 */
final class RequestEncoder {

  private final InstanceEncoder instances;
  private final int instanceNumber;
  private final int dedupNumber;
  /** The whole {@code adapter_config} field (tag, length, Any), or empty. */
  private final byte[] adapterConfig;
  private final int adapterConfigNumber;
  private final @Nullable QuotaFields quota;

  private record QuotaFields(
      int request, int quotas, int key, int value, int amount, int bestEffort) {}

  RequestEncoder(RemoteTemplate template, @Nullable String typeUrl, @Nullable ByteString params) {
    this(template, InstanceEncoder.of(template.instance()), typeUrl, params);
  }

  RequestEncoder(
      RemoteTemplate template,
      InstanceEncoder instances,
      @Nullable String typeUrl,
      @Nullable ByteString params) {
    this.instances = requireNonNull(instances, "instances");
    Descriptor request = template.request();
    this.instanceNumber = 1;
    this.dedupNumber = number(request, "dedup_id", 3);
    FieldDescriptor config = request.findFieldByName("adapter_config");
    this.adapterConfigNumber = config != null ? config.getNumber() : 2;
    this.adapterConfig = typeUrl == null || params == null ? new byte[0] : any(config, typeUrl, params);
    if (template.variety() == Variety.QUOTA) {
      FieldDescriptor q = request.findFieldByName("quota_request");
      if (q == null || q.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        throw new IllegalArgumentException(
            request.getFullName() + " has no quota_request (expected: QuotaRequest quota_request = 4)");
      }
      FieldDescriptor quotas = q.getMessageType().findFieldByName("quotas");
      if (quotas == null || !quotas.isMapField()) {
        throw new IllegalArgumentException(
            q.getMessageType().getFullName() + " has no map field quotas");
      }
      Descriptor entry = quotas.getMessageType();
      FieldDescriptor value = entry.findFieldByName("value");
      Descriptor params2 = value.getMessageType();
      this.quota =
          new QuotaFields(
              q.getNumber(),
              quotas.getNumber(),
              entry.findFieldByName("key").getNumber(),
              value.getNumber(),
              number(params2, "amount", 1),
              number(params2, "best_effort", 2));
    } else {
      this.quota = null;
    }
  }

  private static int number(Descriptor d, String name, int otherwise) {
    FieldDescriptor f = d.findFieldByName(name);
    return f != null ? f.getNumber() : otherwise;
  }

  private static byte[] any(@Nullable FieldDescriptor field, String typeUrl, ByteString value) {
    int urlNumber = 1;
    int valueNumber = 2;
    if (field != null && field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
      urlNumber = number(field.getMessageType(), "type_url", 1);
      valueNumber = number(field.getMessageType(), "value", 2);
    }
    int number = field != null ? field.getNumber() : 2;
    int content =
        (typeUrl.isEmpty() ? 0 : CodedOutputStream.computeStringSize(urlNumber, typeUrl))
            + (value.isEmpty() ? 0 : CodedOutputStream.computeBytesSize(valueNumber, value));
    byte[] out = new byte[ValueCodec.lengthDelimitedSize(number, content)];
    CodedOutputStream s = CodedOutputStream.newInstance(out);
    try {
      ValueCodec.writeHeader(s, number, content);
      if (!typeUrl.isEmpty()) {
        s.writeString(urlNumber, typeUrl);
      }
      if (!value.isEmpty()) {
        s.writeBytes(valueNumber, value);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    s.checkNoSpaceLeft();
    return out;
  }

  InstanceEncoder instances() {
    return instances;
  }

  int adapterConfigNumber() {
    return adapterConfigNumber;
  }

  /** A check request: one encoded {@code InstanceMsg} (its content, as {@link InstanceEncoder#encode}). */
  byte[] check(byte[] instance, String dedupId) {
    return single(instance, dedupId, null, 0, false);
  }

  /** A quota request for {@code amount} of the instance named {@code name}. */
  byte[] quota(byte[] instance, String dedupId, String name, long amount, boolean bestEffort) {
    return single(instance, dedupId, requireNonNull(name, "name"), amount, bestEffort);
  }

  private byte[] single(
      byte[] instance, String dedupId, @Nullable String quotaName, long amount, boolean bestEffort) {
    int size =
        ValueCodec.lengthDelimitedSize(instanceNumber, instance.length)
            + adapterConfig.length
            + dedupSize(dedupId);
    int paramsSize = 0;
    int entrySize = 0;
    int requestSize = 0;
    QuotaFields q = quota;
    if (quotaName != null) {
      if (q == null) {
        throw new IllegalStateException("not a quota template");
      }
      paramsSize =
          (amount == 0 ? 0 : CodedOutputStream.computeInt64Size(q.amount, amount))
              + (bestEffort ? CodedOutputStream.computeBoolSize(q.bestEffort, true) : 0);
      entrySize =
          (quotaName.isEmpty() ? 0 : CodedOutputStream.computeStringSize(q.key, quotaName))
              + ValueCodec.lengthDelimitedSize(q.value, paramsSize);
      requestSize = ValueCodec.lengthDelimitedSize(q.quotas, entrySize);
      size += ValueCodec.lengthDelimitedSize(q.request, requestSize);
    }
    byte[] out = new byte[size];
    CodedOutputStream s = CodedOutputStream.newInstance(out);
    try {
      ValueCodec.writeHeader(s, instanceNumber, instance.length);
      s.writeRawBytes(instance);
      s.writeRawBytes(adapterConfig);
      writeDedup(s, dedupId);
      if (quotaName != null && q != null) {
        ValueCodec.writeHeader(s, q.request, requestSize);
        ValueCodec.writeHeader(s, q.quotas, entrySize);
        if (!quotaName.isEmpty()) {
          s.writeString(q.key, quotaName);
        }
        ValueCodec.writeHeader(s, q.value, paramsSize);
        if (amount != 0) {
          s.writeInt64(q.amount, amount);
        }
        if (bestEffort) {
          s.writeBool(q.bestEffort, true);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    s.checkNoSpaceLeft();
    return out;
  }

  /** The bytes one prepared instance adds to a report request. */
  int reportEntrySize(InstanceEncoder.Prepared p) {
    return ValueCodec.lengthDelimitedSize(instanceNumber, p.size());
  }

  /** A report request carrying {@code batch} (prepared by {@link #instances()}). */
  byte[] report(List<InstanceEncoder.Prepared> batch, String dedupId) {
    int size = adapterConfig.length + dedupSize(dedupId);
    for (InstanceEncoder.Prepared p : batch) {
      size += reportEntrySize(p);
    }
    byte[] out = new byte[size];
    CodedOutputStream s = CodedOutputStream.newInstance(out);
    try {
      for (InstanceEncoder.Prepared p : batch) {
        ValueCodec.writeHeader(s, instanceNumber, p.size());
        instances.writeTo(s, p);
      }
      s.writeRawBytes(adapterConfig);
      writeDedup(s, dedupId);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    s.checkNoSpaceLeft();
    return out;
  }

  private int dedupSize(String dedupId) {
    return dedupId.isEmpty() ? 0 : CodedOutputStream.computeStringSize(dedupNumber, dedupId);
  }

  private void writeDedup(CodedOutputStream s, String dedupId) throws IOException {
    if (!dedupId.isEmpty()) {
      s.writeString(dedupNumber, dedupId);
    }
  }
}
