package dev.offpath.envoy.attributes;

import dev.offpath.core.attribute.AttributeIds;
import dev.offpath.core.attribute.Attributes;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The attribute bag of one Envoy request: a fixed table of the attributes {@link RequestAttributes}
 * produces (and the context-extension targets Istio commonly sets), one array slot each, plus a small
 * map for any other context extension the manifest declares. A lookup by id ({@link #get(int,
 * String)}, what compiled expressions use) is two array reads; by name, one hash lookup. Absent
 * attributes are null slots; {@link #names()} is computed on first use.
 *
 * <p>Immutable once built (the builder is confined to {@link RequestAttributes}); the values are
 * immutable, string maps included (lazy ones compute idempotently).
 */
final class RequestBag implements Attributes {

  /** Every attribute with its own slot, in slot order; the constants below are their slots. */
  static final List<String> NAMES =
      List.of(
          "source.ip",
          "source.port",
          "source.principal",
          "source.labels",
          "destination.ip",
          "destination.port",
          "destination.principal",
          "destination.labels",
          "request.time",
          "context.time",
          "request.id",
          "request.method",
          "request.scheme",
          "request.host",
          "request.path",
          "request.url_path",
          "request.query_params",
          "request.headers",
          "request.useragent",
          "request.referer",
          "request.size",
          "context.protocol",
          "connection.mtls",
          "connection.requested_server_name",
          "request.auth.claims",
          "request.auth.principal",
          "request.auth.audiences",
          "request.auth.presenter",
          "destination.service.host",
          "destination.service.name",
          "destination.service.namespace",
          "destination.service.uid",
          "destination.uid",
          "destination.name",
          "destination.namespace",
          "source.uid",
          "source.name",
          "source.namespace");

  static final int SOURCE_IP = 0;
  static final int SOURCE_PORT = 1;
  static final int SOURCE_PRINCIPAL = 2;
  static final int SOURCE_LABELS = 3;
  static final int DESTINATION_IP = 4;
  static final int DESTINATION_PORT = 5;
  static final int DESTINATION_PRINCIPAL = 6;
  static final int DESTINATION_LABELS = 7;
  static final int REQUEST_TIME = 8;
  static final int CONTEXT_TIME = 9;
  static final int REQUEST_ID = 10;
  static final int REQUEST_METHOD = 11;
  static final int REQUEST_SCHEME = 12;
  static final int REQUEST_HOST = 13;
  static final int REQUEST_PATH = 14;
  static final int REQUEST_URL_PATH = 15;
  static final int REQUEST_QUERY_PARAMS = 16;
  static final int REQUEST_HEADERS = 17;
  static final int REQUEST_USERAGENT = 18;
  static final int REQUEST_REFERER = 19;
  static final int REQUEST_SIZE = 20;
  static final int CONTEXT_PROTOCOL = 21;
  static final int CONNECTION_MTLS = 22;
  static final int CONNECTION_REQUESTED_SERVER_NAME = 23;
  static final int REQUEST_AUTH_CLAIMS = 24;
  static final int REQUEST_AUTH_PRINCIPAL = 25;
  static final int REQUEST_AUTH_AUDIENCES = 26;
  static final int REQUEST_AUTH_PRESENTER = 27;

  static final int SIZE = NAMES.size();

  private static final AttributeIds.Slots SLOTS = AttributeIds.slots(NAMES);

  private final @Nullable Object[] values;
  private final @Nullable Map<String, Object> others;
  private @Nullable Set<String> names;

  private RequestBag(@Nullable Object[] values, @Nullable Map<String, Object> others) {
    this.values = values;
    this.others = others;
  }

  @Override
  public @Nullable Object get(String name) {
    int slot = SLOTS.slot(name);
    if (slot >= 0) {
      return values[slot];
    }
    return others == null ? null : others.get(name);
  }

  @Override
  public @Nullable Object get(int id, String name) {
    int slot = SLOTS.slot(id);
    if (slot >= 0) {
      return values[slot];
    }
    return others == null ? null : others.get(name);
  }

  @Override
  public Set<String> names() {
    Set<String> n = names;
    if (n == null) {
      Set<String> s = SLOTS.present(values);
      if (others != null) {
        s.addAll(others.keySet());
      }
      n = Collections.unmodifiableSet(s);
      names = n;
    }
    return n;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (String name : names()) {
      sb.append(sb.length() > 1 ? ", " : "").append(name).append('=').append(get(name));
    }
    return sb.append('}').toString();
  }

  /** Fills one bag; a later put of the same name replaces the earlier value. Not thread-safe. */
  static final class Builder {
    private final @Nullable Object[] values = new Object[SIZE];
    private @Nullable Map<String, Object> others;

    void put(int slot, Object value) {
      values[slot] = value;
    }

    /** Puts a non-empty string; null or empty leaves the attribute as it was. */
    void putString(int slot, @Nullable String value) {
      if (value != null && !value.isEmpty()) {
        values[slot] = value;
      }
    }

    @Nullable Object get(int slot) {
      return values[slot];
    }

    /** Puts an attribute by name: its slot if it has one, else the overflow map. */
    void put(String name, Object value) {
      int slot = SLOTS.slot(name);
      if (slot >= 0) {
        values[slot] = value;
        return;
      }
      Map<String, Object> o = others;
      if (o == null) {
        o = new HashMap<>(4);
        others = o;
      }
      o.put(name, value);
    }

    RequestBag build() {
      Map<String, Object> o = others;
      return new RequestBag(values, o == null ? null : Map.copyOf(o));
    }
  }
}
