package dev.offpath.envoy.attributes;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.AttributeValues;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.attribute.MapAttributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.ValueType;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Maps Envoy's request description, {@link AttributeContext}, to Mixer attributes: the one mapping
 * behind every policy front door (ext_authz receives an {@code AttributeContext}; ext_proc builds one
 * from its headers and Envoy's request attributes). The table (also in README):
 *
 * <pre>
 * source.address.socket_address       → source.ip (IP_ADDRESS), source.port (INT64)
 * source.principal                    → source.principal; source.labels → source.labels
 * destination.address.socket_address  → destination.ip, destination.port
 * destination.principal / labels      → destination.principal / destination.labels
 * request.time                        → request.time, context.time
 * request.http.id/method/host/scheme  → request.id/method/host/scheme
 * request.http.path                   → request.path (with query), request.url_path (without),
 *                                       request.query_params (STRING_MAP, decoded)
 * request.http.headers / header_map   → request.headers (STRING_MAP, lower-case names),
 *                                       request.useragent, request.referer
 * request.http.size (≥ 0)             → request.size
 * request.http.protocol               → context.protocol "grpc" for gRPC content types, else "http"
 * source.principal or certificate     → connection.mtls (BOOL)
 * tls_session.sni                     → connection.requested_server_name
 * context_extensions                  → the attribute of the same name when the manifest declares it,
 *                                       converted to its type (e.g. destination.service.host)
 * metadata_context jwt_authn payload  → request.auth.principal (iss/sub), request.auth.claims,
 *                                       request.auth.audiences, request.auth.presenter
 * </pre>
 *
 * Absent or empty proto fields leave the attribute absent, so {@code |} defaults apply.
 */
public final class RequestAttributes {

  /** The filter whose metadata carries a verified JWT payload. */
  public static final String JWT_FILTER = "envoy.filters.http.jwt_authn";

  private RequestAttributes() {}

  /**
   * Builds the bag for {@code ctx}; context extensions are typed by {@code manifest}.
   *
   * @throws InvalidRequestException when the request exceeds {@code limits}
   */
  public static MapAttributes from(
      AttributeContext ctx, AttributeManifest manifest, RequestLimits limits)
      throws InvalidRequestException {
    requireNonNull(ctx, "ctx");
    requireNonNull(manifest, "manifest");
    requireNonNull(limits, "limits");
    MapAttributes.Builder b = MapAttributes.builder();
    peer(b, "source", ctx.getSource());
    peer(b, "destination", ctx.getDestination());

    AttributeContext.Request req = ctx.getRequest();
    if (req.hasTime()) {
      Instant t = toInstant(req.getTime());
      b.put("request.time", t);
      b.put("context.time", t);
    }
    AttributeContext.HttpRequest http = req.getHttp();
    Map<String, String> headers = headers(http, limits);
    putString(b, "request.id", http.getId());
    putString(b, "request.method", http.getMethod());
    putString(b, "request.scheme", http.getScheme());
    String host = http.getHost().isEmpty() ? headers.get(":authority") : http.getHost();
    putString(b, "request.host", host);
    String path = http.getPath().isEmpty() ? headers.get(":path") : http.getPath();
    if (path != null && !path.isEmpty()) {
      b.put("request.path", path);
      int q = path.indexOf('?');
      b.put("request.url_path", q < 0 ? path : path.substring(0, q));
      b.put("request.query_params", StringMap.of(q < 0 ? Map.of() : queryParams(path.substring(q + 1))));
    }
    if (!headers.isEmpty()) {
      b.put("request.headers", StringMap.of(headers));
      putString(b, "request.useragent", headers.get("user-agent"));
      putString(b, "request.referer", headers.get("referer"));
    }
    // Envoy sends -1 for an unknown size; a request without a method is no HTTP request at all.
    if (!http.getMethod().isEmpty() && http.getSize() >= 0) {
      b.put("request.size", http.getSize());
    }
    if (!http.getMethod().isEmpty() || !headers.isEmpty()) {
      String contentType = headers.getOrDefault("content-type", "");
      b.put("context.protocol", contentType.startsWith("application/grpc") ? "grpc" : "http");
    }
    AttributeContext.Peer source = ctx.getSource();
    b.put(
        "connection.mtls",
        !source.getPrincipal().isEmpty() || !source.getCertificate().isEmpty());
    putString(b, "connection.requested_server_name", ctx.getTlsSession().getSni());

    jwt(b, ctx);
    contextExtensions(b, ctx.getContextExtensionsMap(), manifest);
    return b.build();
  }

  private static void peer(MapAttributes.Builder b, String prefix, AttributeContext.Peer peer) {
    Address address = peer.getAddress();
    if (address.hasSocketAddress()) {
      SocketAddress sa = address.getSocketAddress();
      try {
        if (!sa.getAddress().isEmpty()) {
          b.put(prefix + ".ip", IpAddress.parse(sa.getAddress()));
        }
      } catch (IllegalArgumentException e) {
        // A host name or a pipe path is not an IP address; the attribute stays absent.
      }
      if (sa.getPortSpecifierCase() == SocketAddress.PortSpecifierCase.PORT_VALUE) {
        b.put(prefix + ".port", (long) sa.getPortValue());
      }
    }
    putString(b, prefix + ".principal", peer.getPrincipal());
    if (peer.getLabelsCount() > 0) {
      b.put(prefix + ".labels", StringMap.of(peer.getLabelsMap()));
    }
  }

  private static Map<String, String> headers(AttributeContext.HttpRequest http, RequestLimits limits)
      throws InvalidRequestException {
    return headers(http.getHeadersMap(), http.getHeaderMap(), limits, "request");
  }

  /**
   * The headers of {@code map} by lower-case name, repeated headers joined with ',' (values from
   * {@code value}, or {@code raw_value} when that is what Envoy sent).
   *
   * @param what {@code request} or {@code response}, for the message
   * @throws InvalidRequestException when the headers exceed {@code limits}
   */
  public static Map<String, String> headers(HeaderMap map, RequestLimits limits, String what)
      throws InvalidRequestException {
    requireNonNull(map, "map");
    requireNonNull(limits, "limits");
    return headers(Map.of(), map, limits, what);
  }

  private static Map<String, String> headers(
      Map<String, String> plain, HeaderMap map, RequestLimits limits, String what)
      throws InvalidRequestException {
    int count = plain.size() + map.getHeadersCount();
    if (count > limits.maxHeaders()) {
      throw new InvalidRequestException(
          "too many " + what + " headers: " + count + " (limit: " + limits.maxHeaders() + ")");
    }
    if (count == 0) {
      return Map.of();
    }
    Map<String, String> out = new HashMap<>(count * 2);
    long bytes = 0;
    for (Map.Entry<String, String> e : plain.entrySet()) {
      bytes += e.getKey().length() + e.getValue().length();
      out.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue());
    }
    for (HeaderValue hv : map.getHeadersList()) {
      String value = hv.getValue().isEmpty() ? hv.getRawValue().toStringUtf8() : hv.getValue();
      bytes += hv.getKey().length() + value.length();
      // Repeated headers are joined with ',' as HTTP allows.
      out.merge(hv.getKey().toLowerCase(Locale.ROOT), value, (a, c) -> a + "," + c);
    }
    if (bytes > limits.maxHeaderBytes()) {
      throw new InvalidRequestException(
          what
              + " headers too large: "
              + bytes
              + " bytes (limit: "
              + limits.maxHeaderBytes()
              + ")");
    }
    return out;
  }

  static Map<String, String> queryParams(String query) {
    Map<String, String> out = new LinkedHashMap<>();
    int hash = query.indexOf('#');
    if (hash >= 0) {
      query = query.substring(0, hash);
    }
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      try {
        out.putIfAbsent(
            URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        out.putIfAbsent(k, v); // malformed %-escape: keep the raw text
      }
    }
    return out;
  }

  private static void jwt(MapAttributes.Builder b, AttributeContext ctx) {
    Struct meta = ctx.getMetadataContext().getFilterMetadataMap().get(JWT_FILTER);
    if (meta == null) {
      return;
    }
    Struct payload = meta;
    if (!meta.containsFields("iss") && !meta.containsFields("sub")) {
      // jwt_authn nests the payload under its payload_in_metadata name.
      payload = null;
      for (Value v : meta.getFieldsMap().values()) {
        if (v.hasStructValue()) {
          payload = v.getStructValue();
          break;
        }
      }
      if (payload == null) {
        return;
      }
    }
    Map<String, String> claims = new LinkedHashMap<>();
    payload.getFieldsMap().forEach((k, v) -> claims.put(k, render(v)));
    b.put("request.auth.claims", StringMap.of(claims));
    String iss = claims.get("iss");
    String sub = claims.get("sub");
    if (iss != null && sub != null) {
      b.put("request.auth.principal", iss + "/" + sub);
    }
    putString(b, "request.auth.audiences", claims.get("aud"));
    putString(b, "request.auth.presenter", claims.get("azp"));
  }

  private static String render(Value v) {
    return switch (v.getKindCase()) {
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
      case NUMBER_VALUE -> {
        double d = v.getNumberValue();
        yield d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
      }
      case LIST_VALUE -> {
        StringBuilder sb = new StringBuilder();
        for (Value item : v.getListValue().getValuesList()) {
          if (sb.length() > 0) {
            sb.append(',');
          }
          sb.append(render(item));
        }
        yield sb.toString();
      }
      case STRUCT_VALUE -> v.getStructValue().toString();
      default -> "";
    };
  }

  private static void contextExtensions(
      MapAttributes.Builder b, Map<String, String> extensions, AttributeManifest manifest) {
    for (Map.Entry<String, String> e : extensions.entrySet()) {
      ValueType type = manifest.typeOf(e.getKey());
      if (type == null) {
        continue;
      }
      try {
        b.put(e.getKey(), AttributeValues.fromString(e.getValue(), type));
      } catch (IllegalArgumentException ex) {
        // A context extension of the wrong shape is ignored, like any unparseable attribute.
      }
    }
  }

  private static void putString(MapAttributes.Builder b, String name, @Nullable String value) {
    if (value != null && !value.isEmpty()) {
      b.put(name, value);
    }
  }

  private static Instant toInstant(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }
}
