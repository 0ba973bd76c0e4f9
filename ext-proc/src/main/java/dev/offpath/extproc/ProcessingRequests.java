package dev.offpath.extproc;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import java.time.Instant;
import java.time.InstantSource;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Describes an ext_proc request-headers message the way ext_authz describes a request, as an {@link
 * AttributeContext}, so that both front doors share one attribute mapping ({@link
 * dev.offpath.envoy.attributes.RequestAttributes}).
 *
 * <pre>
 * headers (HeaderMap)                      → request headers; :method, :scheme, x-request-id and
 *                                            content-length fill method, scheme, id and size
 * attributes (Envoy's request_attributes, under any filter name, and the deprecated per-headers map):
 *   source.address / destination.address  → peer socket address ("ip:port", "[v6]:port" or "ip")
 *   source.port / destination.port        → peer port
 *   connection.uri_san_peer_certificate   → source.principal
 *   connection.uri_san_local_certificate  → destination.principal
 *   connection.requested_server_name      → TLS SNI
 *   request.id, request.protocol          → request id, protocol
 *   request.time                          → request time (RFC 3339)
 *   request.headers, response.*           → ignored (the headers themselves are authoritative)
 *   any other name                        → a context extension: the attribute of that name when the
 *                                            manifest declares it (connection.mtls, request.path, …)
 * metadata_context                         → metadata (jwt_authn payload → request.auth.*)
 * (no request.time from Envoy)             → the clock's time
 * </pre>
 *
 * Envoy renders attribute values as strings except booleans and doubles; both are accepted.
 */
final class ProcessingRequests {

  private ProcessingRequests() {}

  /** The request's description; {@code clock} stamps the time when Envoy did not send one. */
  @SuppressWarnings("deprecation") // HttpHeaders.attributes: older Envoys send attributes there
  static AttributeContext context(ProcessingRequest request, InstantSource clock) {
    HttpHeaders headers = request.getRequestHeaders();
    AttributeContext.Builder ctx = AttributeContext.newBuilder();
    AttributeContext.HttpRequest.Builder http = ctx.getRequestBuilder().getHttpBuilder();
    http.setHeaderMap(headers.getHeaders());
    long size = -1;
    for (HeaderValue hv : headers.getHeaders().getHeadersList()) {
      switch (hv.getKey()) {
        case ":method" -> http.setMethod(value(hv));
        case ":scheme" -> http.setScheme(value(hv));
        case "x-request-id" -> http.setId(value(hv));
        case "content-length" -> size = parseLong(value(hv), -1);
        default -> {}
      }
    }
    http.setSize(size);
    if (request.hasMetadataContext()) {
      ctx.setMetadataContext(request.getMetadataContext());
    }
    envoyAttributes(ctx, headers.getAttributesMap());
    envoyAttributes(ctx, request.getAttributesMap());
    if (!ctx.getRequestBuilder().hasTime()) {
      ctx.getRequestBuilder().setTime(timestamp(clock.instant()));
    }
    return ctx.build();
  }

  /** A header's value: {@code value}, or {@code raw_value} when that is what Envoy sent. */
  static String value(HeaderValue hv) {
    return hv.getValue().isEmpty() ? hv.getRawValue().toStringUtf8() : hv.getValue();
  }

  static long parseLong(String text, long fallback) {
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  private static void envoyAttributes(AttributeContext.Builder ctx, Map<String, Struct> byFilter) {
    for (Struct attributes : byFilter.values()) {
      for (Map.Entry<String, Value> e : attributes.getFieldsMap().entrySet()) {
        String text = text(e.getValue());
        if (text != null && !text.isEmpty()) {
          envoyAttribute(ctx, e.getKey(), text);
        }
      }
    }
  }

  private static void envoyAttribute(AttributeContext.Builder ctx, String name, String text) {
    AttributeContext.HttpRequest.Builder http = ctx.getRequestBuilder().getHttpBuilder();
    switch (name) {
      case "source.address" -> address(socket(ctx.getSourceBuilder()), text);
      case "destination.address" -> address(socket(ctx.getDestinationBuilder()), text);
      case "source.port" -> port(socket(ctx.getSourceBuilder()), text);
      case "destination.port" -> port(socket(ctx.getDestinationBuilder()), text);
      case "connection.uri_san_peer_certificate" -> ctx.getSourceBuilder().setPrincipal(text);
      case "connection.uri_san_local_certificate" -> ctx.getDestinationBuilder().setPrincipal(text);
      case "connection.requested_server_name" -> ctx.getTlsSessionBuilder().setSni(text);
      case "request.id" -> http.setId(text);
      case "request.protocol" -> http.setProtocol(text);
      case "request.time" -> {
        Instant t = instant(text);
        if (t != null) {
          ctx.getRequestBuilder().setTime(timestamp(t));
        }
      }
      case "request.headers", "response.headers", "response.trailers" -> {}
      default -> {
        if (!name.startsWith("response.")) {
          ctx.putContextExtensions(name, text);
        }
      }
    }
  }

  private static SocketAddress.Builder socket(AttributeContext.Peer.Builder peer) {
    return peer.getAddressBuilder().getSocketAddressBuilder();
  }

  /** {@code ip:port}, {@code [v6]:port}, or a bare address. */
  private static void address(SocketAddress.Builder socket, String text) {
    String host = text;
    String port = null;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close > 0) {
        host = text.substring(1, close);
        if (text.length() > close + 1 && text.charAt(close + 1) == ':') {
          port = text.substring(close + 2);
        }
      }
    } else {
      int colon = text.indexOf(':');
      if (colon > 0 && colon == text.lastIndexOf(':')) {
        host = text.substring(0, colon);
        port = text.substring(colon + 1);
      }
    }
    socket.setAddress(host);
    if (port != null && !socket.hasPortValue()) {
      port(socket, port);
    }
  }

  private static void port(SocketAddress.Builder socket, String text) {
    long port = parseLong(text.endsWith(".0") ? text.substring(0, text.length() - 2) : text, -1);
    if (port >= 0 && port <= 65535) {
      socket.setPortValue((int) port);
    }
  }

  private static Timestamp timestamp(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  private static @Nullable Instant instant(String text) {
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static @Nullable String text(Value v) {
    return switch (v.getKindCase()) {
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
      case NUMBER_VALUE -> {
        double d = v.getNumberValue();
        yield d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
      }
      default -> null;
    };
  }
}
