package dev.offpath.envoy.attributes;

import static dev.offpath.envoy.attributes.CheckRequestIndex.PEER_STRIDE;

import dev.offpath.core.attribute.AttributeIds;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.StringMap;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The attribute bag of a {@link LazyCheckRequest}: {@link RequestBag}'s slot table, each slot
 * computed on its first read from the request's bytes, by the rules of {@link RequestAttributes#of}
 * (each slot's rule is in {@link #compute}). Context extensions the manifest declares were converted
 * up front and replace whatever the request says, as in {@code RequestAttributes.of} where they come
 * last.
 *
 * <p>Thread-safe by construction rather than by locks: a slot holds {@code UNREAD} until a reader
 * stores its value (or {@code ABSENT}); every value is immutable and safely publishable (final
 * fields), and computing a slot twice gives equal values, so racing readers at worst both compute.
 */
final class LazyRequestBag implements Attributes {

  private static final Object UNREAD = new Object();
  private static final Object ABSENT = new Object();
  private static final AttributeIds.Slots SLOTS = AttributeIds.slots(RequestBag.NAMES);

  private final LazyCheckRequest request;
  private final @Nullable Object[] values = new Object[RequestBag.SIZE];
  private final @Nullable Map<String, Object> others;

  /** The headers when decided at construction (empty, a copy, or over the limits' rare path). */
  private @Nullable StringMap headers;

  private @Nullable Set<String> names;

  LazyRequestBag(
      LazyCheckRequest request, @Nullable StringMap headers, @Nullable Map<String, Object> extensions) {
    this.request = request;
    this.headers = headers;
    Arrays.fill(values, UNREAD);
    Map<String, Object> rest = null;
    if (extensions != null) {
      for (Map.Entry<String, Object> e : extensions.entrySet()) {
        int slot = SLOTS.slot(e.getKey());
        if (slot >= 0) {
          values[slot] = e.getValue();
        } else {
          if (rest == null) {
            rest = new java.util.HashMap<>(4);
          }
          rest.put(e.getKey(), e.getValue());
        }
      }
    }
    this.others = rest == null ? null : Map.copyOf(rest);
  }

  @Override
  public @Nullable Object get(String name) {
    int slot = SLOTS.slot(name);
    if (slot >= 0) {
      return slot(slot);
    }
    return others == null ? null : others.get(name);
  }

  @Override
  public @Nullable Object get(int id, String name) {
    int slot = SLOTS.slot(id);
    if (slot >= 0) {
      return slot(slot);
    }
    return others == null ? null : others.get(name);
  }

  private @Nullable Object slot(int slot) {
    Object v = values[slot];
    if (v == UNREAD) {
      Object computed = compute(slot);
      v = computed == null ? ABSENT : computed;
      values[slot] = v;
    }
    return v == ABSENT ? null : v;
  }

  @Override
  public Set<String> names() {
    Set<String> n = names;
    if (n == null) {
      Set<String> s = new LinkedHashSet<>();
      for (int i = 0; i < RequestBag.SIZE; i++) {
        if (slot(i) != null) {
          s.add(RequestBag.NAMES.get(i));
        }
      }
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

  /** Slot {@code slot}'s value by {@code RequestAttributes.of}'s rule, or null when absent. */
  private @Nullable Object compute(int slot) {
    CheckRequestIndex x = request.index;
    return switch (slot) {
      case RequestBag.SOURCE_IP, RequestBag.DESTINATION_IP -> ip(slot == RequestBag.SOURCE_IP ? 0 : 1);
      case RequestBag.SOURCE_PORT, RequestBag.DESTINATION_PORT -> {
        int p = slot == RequestBag.SOURCE_PORT ? 0 : 1;
        // getPortValue() is an int: a port above 2^31 reads negative, as in RequestAttributes.
        if (x.addressCase[p] != 1 || x.portCase[p] != 3) {
          yield null;
        }
        yield Long.valueOf(x.portValue[p]);
      }
      case RequestBag.SOURCE_PRINCIPAL -> nonEmpty(CheckRequestIndex.S_SOURCE_PRINCIPAL);
      case RequestBag.DESTINATION_PRINCIPAL ->
          nonEmpty(PEER_STRIDE + CheckRequestIndex.S_SOURCE_PRINCIPAL);
      case RequestBag.SOURCE_LABELS -> labels(CheckRequestIndex.SOURCE_LABELS);
      case RequestBag.DESTINATION_LABELS -> labels(CheckRequestIndex.DESTINATION_LABELS);
      case RequestBag.REQUEST_TIME, RequestBag.CONTEXT_TIME ->
          x.hasTime ? Instant.ofEpochSecond(x.seconds, x.nanos) : null;
      case RequestBag.REQUEST_ID -> nonEmpty(CheckRequestIndex.S_ID);
      case RequestBag.REQUEST_METHOD -> nonEmpty(CheckRequestIndex.S_METHOD);
      case RequestBag.REQUEST_SCHEME -> nonEmpty(CheckRequestIndex.S_SCHEME);
      case RequestBag.REQUEST_HOST ->
          request.length(CheckRequestIndex.S_HOST) > 0
              ? request.string(CheckRequestIndex.S_HOST)
              : nonEmpty(headers().get(":authority"));
      case RequestBag.REQUEST_PATH -> path();
      case RequestBag.REQUEST_URL_PATH -> {
        String path = (String) slot(RequestBag.REQUEST_PATH);
        if (path == null) {
          yield null;
        }
        int q = path.indexOf('?');
        yield q < 0 ? path : path.substring(0, q);
      }
      case RequestBag.REQUEST_QUERY_PARAMS -> {
        String path = (String) slot(RequestBag.REQUEST_PATH);
        if (path == null) {
          yield null;
        }
        int q = path.indexOf('?');
        yield q < 0 ? StringMap.empty() : new QueryParams(path.substring(q + 1));
      }
      case RequestBag.REQUEST_HEADERS -> hasHeaders() ? headers() : null;
      case RequestBag.REQUEST_USERAGENT -> hasHeaders() ? nonEmpty(headers().get("user-agent")) : null;
      case RequestBag.REQUEST_REFERER -> hasHeaders() ? nonEmpty(headers().get("referer")) : null;
      // Envoy sends -1 for an unknown size; a request without a method is no HTTP request at all.
      case RequestBag.REQUEST_SIZE -> {
        if (request.length(CheckRequestIndex.S_METHOD) == 0 || x.size < 0) {
          yield null;
        }
        yield Long.valueOf(x.size);
      }
      case RequestBag.CONTEXT_PROTOCOL -> {
        if (request.length(CheckRequestIndex.S_METHOD) == 0 && !hasHeaders()) {
          yield null;
        }
        String contentType = headers().get("content-type");
        yield contentType != null && contentType.startsWith("application/grpc") ? "grpc" : "http";
      }
      case RequestBag.CONNECTION_MTLS ->
          request.length(CheckRequestIndex.S_SOURCE_PRINCIPAL) > 0
              || request.length(CheckRequestIndex.S_SOURCE_CERTIFICATE) > 0;
      case RequestBag.CONNECTION_REQUESTED_SERVER_NAME -> nonEmpty(CheckRequestIndex.S_SNI);
      case RequestBag.REQUEST_AUTH_CLAIMS,
          RequestBag.REQUEST_AUTH_PRINCIPAL,
          RequestBag.REQUEST_AUTH_AUDIENCES,
          RequestBag.REQUEST_AUTH_PRESENTER -> jwt(slot);
      default -> null; // only context extensions set the remaining slots
    };
  }

  private @Nullable Object ip(int p) {
    CheckRequestIndex x = request.index;
    int field = p * PEER_STRIDE + CheckRequestIndex.S_SOURCE_ADDRESS;
    if (x.addressCase[p] != 1 || request.length(field) == 0) {
      return null;
    }
    return RequestAttributes.ipAddress(request.string(field));
  }

  private @Nullable String nonEmpty(int field) {
    return request.length(field) == 0 ? null : request.string(field);
  }

  private static @Nullable String nonEmpty(@Nullable String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  private @Nullable StringMap labels(int map) {
    return request.hasEntries(map)
        ? StringMap.view(Collections.unmodifiableMap(request.map(map)))
        : null;
  }

  private boolean hasHeaders() {
    CheckRequestIndex x = request.index;
    return x.headerCount > 0 || x.headerMapCount > 0;
  }

  private StringMap headers() {
    StringMap h = headers;
    if (h == null) {
      h = new LazyHeaders(request);
      headers = h;
    }
    return h;
  }

  private @Nullable String path() {
    String path =
        request.length(CheckRequestIndex.S_PATH) > 0
            ? request.string(CheckRequestIndex.S_PATH)
            : headers().get(":path");
    return path == null || path.isEmpty() ? null : path;
  }

  /** The JWT attributes, by {@code RequestAttributes}' own code over the decoded metadata. */
  private @Nullable Object jwt(int slot) {
    if (!request.index.hasMetadata) {
      return null;
    }
    RequestBag.Builder b = new RequestBag.Builder();
    RequestAttributes.jwt(b, AttributeContext.newBuilder().setMetadataContext(request.metadata()).build());
    for (int s = RequestBag.REQUEST_AUTH_CLAIMS; s <= RequestBag.REQUEST_AUTH_PRESENTER; s++) {
      if (s != slot && values[s] == UNREAD) {
        Object v = b.get(s);
        values[s] = v == null ? ABSENT : v;
      }
    }
    return b.get(slot);
  }
}
