package dev.offpath.envoy.attributes;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.AttributeValues;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.ValueType;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
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
   * Builds the bag for {@code ctx}; context extensions are typed by {@code manifest}. The bag is a
   * fixed slot table (compiled expressions read it with two array reads); {@code request.headers}
   * is a view of the request's header map when Envoy sent lower-case names only (the norm), and
   * {@code request.query_params} is decoded on first read.
   *
   * @throws InvalidRequestException when the request exceeds {@code limits}
   */
  public static Attributes of(AttributeContext ctx, AttributeManifest manifest, RequestLimits limits)
      throws InvalidRequestException {
    requireNonNull(ctx, "ctx");
    requireNonNull(manifest, "manifest");
    requireNonNull(limits, "limits");
    RequestBag.Builder b = new RequestBag.Builder();
    AttributeContext.Peer source = ctx.getSource();
    peer(b, RequestBag.SOURCE_IP, source);
    peer(b, RequestBag.DESTINATION_IP, ctx.getDestination());

    AttributeContext.Request req = ctx.getRequest();
    if (req.hasTime()) {
      Instant t = toInstant(req.getTime());
      b.put(RequestBag.REQUEST_TIME, t);
      b.put(RequestBag.CONTEXT_TIME, t);
    }
    AttributeContext.HttpRequest http = req.getHttp();
    StringMap headers = headers(http, limits);
    String method = http.getMethod();
    b.putString(RequestBag.REQUEST_ID, http.getId());
    b.putString(RequestBag.REQUEST_METHOD, method);
    b.putString(RequestBag.REQUEST_SCHEME, http.getScheme());
    String host = http.getHost();
    b.putString(RequestBag.REQUEST_HOST, host.isEmpty() ? headers.get(":authority") : host);
    String path = http.getPath();
    if (path.isEmpty()) {
      path = headers.get(":path");
    }
    if (path != null && !path.isEmpty()) {
      b.put(RequestBag.REQUEST_PATH, path);
      int q = path.indexOf('?');
      b.put(RequestBag.REQUEST_URL_PATH, q < 0 ? path : path.substring(0, q));
      b.put(
          RequestBag.REQUEST_QUERY_PARAMS,
          q < 0 ? StringMap.empty() : new QueryParams(path.substring(q + 1)));
    }
    boolean hasHeaders = headers.size() > 0;
    if (hasHeaders) {
      b.put(RequestBag.REQUEST_HEADERS, headers);
      b.putString(RequestBag.REQUEST_USERAGENT, headers.get("user-agent"));
      b.putString(RequestBag.REQUEST_REFERER, headers.get("referer"));
    }
    // Envoy sends -1 for an unknown size; a request without a method is no HTTP request at all.
    if (!method.isEmpty() && http.getSize() >= 0) {
      b.put(RequestBag.REQUEST_SIZE, http.getSize());
    }
    if (!method.isEmpty() || hasHeaders) {
      String contentType = headers.get("content-type");
      b.put(
          RequestBag.CONTEXT_PROTOCOL,
          contentType != null && contentType.startsWith("application/grpc") ? "grpc" : "http");
    }
    b.put(
        RequestBag.CONNECTION_MTLS,
        !source.getPrincipal().isEmpty() || !source.getCertificate().isEmpty());
    b.putString(RequestBag.CONNECTION_REQUESTED_SERVER_NAME, ctx.getTlsSession().getSni());

    jwt(b, ctx);
    contextExtensions(b, ctx.getContextExtensionsMap(), manifest);
    return b.build();
  }

  /** Sets the peer's attributes from slot {@code ipSlot} on (ip, port, principal, labels). */
  private static void peer(RequestBag.Builder b, int ipSlot, AttributeContext.Peer peer) {
    Address address = peer.getAddress();
    if (address.hasSocketAddress()) {
      SocketAddress sa = address.getSocketAddress();
      String ip = sa.getAddress();
      if (!ip.isEmpty()) {
        IpAddress parsed = ipAddress(ip);
        if (parsed != null) {
          b.put(ipSlot, parsed);
        }
      }
      if (sa.getPortSpecifierCase() == SocketAddress.PortSpecifierCase.PORT_VALUE) {
        b.put(ipSlot + 1, (long) sa.getPortValue());
      }
    }
    b.putString(ipSlot + 2, peer.getPrincipal());
    if (peer.getLabelsCount() > 0) {
      b.put(ipSlot + 3, StringMap.view(peer.getLabelsMap()));
    }
  }

  /** {@code text} as an IP address, or null when it is none (a host name or a pipe path). */
  static @Nullable IpAddress ipAddress(String text) {
    try {
      return IpAddress.parse(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * The request headers as {@code request.headers}: a view of Envoy's {@code headers} map when its
   * names are all lower case ASCII and there is no {@code header_map}, else a lower-cased copy.
   */
  static StringMap headers(AttributeContext.HttpRequest http, RequestLimits limits)
      throws InvalidRequestException {
    Map<String, String> plain = http.getHeadersMap();
    if (http.getHeaderMap().getHeadersCount() > 0) {
      return StringMap.of(headers(plain, http.getHeaderMap(), limits, "request"));
    }
    int count = plain.size();
    checkCount(count, limits, "request");
    if (count == 0) {
      return StringMap.empty();
    }
    long bytes = 0;
    boolean lowerCase = true;
    for (Map.Entry<String, String> e : plain.entrySet()) {
      String key = e.getKey();
      bytes += key.length() + e.getValue().length();
      lowerCase = lowerCase && isLowerCaseAscii(key);
    }
    checkBytes(bytes, limits, "request");
    if (lowerCase) {
      return StringMap.view(plain);
    }
    return StringMap.of(headers(plain, HeaderMap.getDefaultInstance(), limits, "request"));
  }

  static boolean isLowerCaseAscii(String s) {
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      if ((c >= 'A' && c <= 'Z') || c >= 0x80) {
        return false;
      }
    }
    return true;
  }

  private static void checkCount(int count, RequestLimits limits, String what)
      throws InvalidRequestException {
    if (count > limits.maxHeaders()) {
      throw new InvalidRequestException(
          "too many " + what + " headers: " + count + " (limit: " + limits.maxHeaders() + ")");
    }
  }

  private static void checkBytes(long bytes, RequestLimits limits, String what)
      throws InvalidRequestException {
    if (bytes > limits.maxHeaderBytes()) {
      throw new InvalidRequestException(
          what
              + " headers too large: "
              + bytes
              + " bytes (limit: "
              + limits.maxHeaderBytes()
              + ")");
    }
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
    checkCount(count, limits, what);
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
    checkBytes(bytes, limits, what);
    return out;
  }

  static void jwt(RequestBag.Builder b, AttributeContext ctx) {
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
    b.put(RequestBag.REQUEST_AUTH_CLAIMS, StringMap.of(claims));
    String iss = claims.get("iss");
    String sub = claims.get("sub");
    if (iss != null && sub != null) {
      b.put(RequestBag.REQUEST_AUTH_PRINCIPAL, iss + "/" + sub);
    }
    b.putString(RequestBag.REQUEST_AUTH_AUDIENCES, claims.get("aud"));
    b.putString(RequestBag.REQUEST_AUTH_PRESENTER, claims.get("azp"));
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
      RequestBag.Builder b, Map<String, String> extensions, AttributeManifest manifest) {
    if (extensions.isEmpty()) {
      return;
    }
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

  /** Protobuf's Timestamp range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z. */
  private static final long MIN_SECONDS = -62_135_596_800L;

  private static final long MAX_SECONDS = 253_402_300_799L;

  /** {@code request.time}; a value outside the Timestamp range is a bad request (400), not a crash. */
  static Instant toInstant(Timestamp t) throws InvalidRequestException {
    if (t.getSeconds() < MIN_SECONDS
        || t.getSeconds() > MAX_SECONDS
        || t.getNanos() < 0
        || t.getNanos() > 999_999_999) {
      throw new InvalidRequestException(
          "request.time out of range (expected: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z)");
    }
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }
}
