package dev.offpath.accesslog;

import dev.offpath.core.attribute.AttributeIds;
import dev.offpath.core.attribute.Attributes;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The attribute bag of one access-log entry: a fixed table of the attributes the front door can
 * produce, one array slot each. The stream's reporter attributes are copied in from a prepared
 * array (one {@code System.arraycopy}), the entry's own fields are set by {@link EntryMapping}; a
 * lookup is a hash of the name into the table and an array read. Immutable once built; absent
 * attributes are null slots.
 */
public final class EntryAttributes implements Attributes {

  /** Every attribute this front door sets, in slot order. */
  static final List<String> NAMES =
      List.of(
          "source.ip",
          "source.port",
          "source.principal",
          "source.uid",
          "source.name",
          "source.namespace",
          "source.labels",
          "source.owner",
          "source.serviceAccount",
          "source.workload.name",
          "source.workload.namespace",
          "source.workload.uid",
          "destination.ip",
          "destination.port",
          "destination.principal",
          "destination.uid",
          "destination.name",
          "destination.namespace",
          "destination.labels",
          "destination.owner",
          "destination.serviceAccount",
          "destination.workload.name",
          "destination.workload.namespace",
          "destination.workload.uid",
          "destination.service.host",
          "destination.service.name",
          "destination.service.namespace",
          "destination.service.uid",
          "request.headers",
          "request.id",
          "request.path",
          "request.url_path",
          "request.host",
          "request.method",
          "request.referer",
          "request.scheme",
          "request.size",
          "request.total_size",
          "request.time",
          "request.useragent",
          "response.headers",
          "response.size",
          "response.total_size",
          "response.time",
          "response.duration",
          "response.code",
          "response.grpc_status",
          "response.grpc_message",
          "connection.event",
          "connection.received.bytes",
          "connection.received.bytes_total",
          "connection.sent.bytes",
          "connection.sent.bytes_total",
          "connection.duration",
          "connection.mtls",
          "connection.requested_server_name",
          "context.protocol",
          "context.time",
          "context.proxy_error_code",
          "context.reporter.kind",
          "context.reporter.uid");

  private static final AttributeIds.Slots SLOTS = AttributeIds.slots(NAMES);

  static final int SIZE = NAMES.size();

  /** The slot of {@code name}; throws for a name not in {@link #NAMES} (a bug). */
  static int slot(String name) {
    int slot = SLOTS.slot(name);
    if (slot < 0) {
      throw new IllegalArgumentException("not an access-log attribute: " + name);
    }
    return slot;
  }

  private final @Nullable Object[] values;
  private @Nullable Set<String> names;

  EntryAttributes(@Nullable Object[] values) {
    this.values = values;
  }

  @Override
  public @Nullable Object get(String name) {
    int slot = SLOTS.slot(name);
    return slot < 0 ? null : values[slot];
  }

  @Override
  public @Nullable Object get(int id, String name) {
    int slot = SLOTS.slot(id);
    return slot < 0 ? null : values[slot];
  }

  @Override
  public Set<String> names() {
    Set<String> n = names;
    if (n == null) {
      n = Collections.unmodifiableSet(SLOTS.present(values));
      names = n;
    }
    return n;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < values.length; i++) {
      if (values[i] != null) {
        sb.append(sb.length() > 1 ? ", " : "").append(NAMES.get(i)).append('=').append(values[i]);
      }
    }
    return sb.append('}').toString();
  }
}
