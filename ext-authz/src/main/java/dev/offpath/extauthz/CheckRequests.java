package dev.offpath.extauthz;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Timestamp;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.time.Instant;
import java.util.Map;

/**
 * Builds a {@link CheckRequest} as Envoy would send it, from attribute names and text values — the
 * inverse of {@link dev.offpath.envoy.attributes.RequestAttributes}, for {@code offpath check}, tests and load drivers.
 *
 * <p>Recognised: {@code source.ip}, {@code source.port}, {@code source.principal}, the same for
 * {@code destination}, {@code request.id}, {@code request.method}, {@code request.path}, {@code
 * request.host}, {@code request.scheme}, {@code request.size}, {@code request.time} (RFC 3339), {@code
 * request.protocol}, {@code connection.requested_server_name}, and headers as {@code
 * request.headers[name]}. Any other name is sent as a context extension, which Offpath maps back to
 * the attribute of that name when its manifest declares it (e.g. {@code destination.service.host}).
 */
public final class CheckRequests {

  private CheckRequests() {}

  /**
   * @throws IllegalArgumentException for a value that does not fit its field (a port that is not a
   *     number, say), naming the attribute
   */
  public static CheckRequest fromAttributes(Map<String, String> attributes) {
    requireNonNull(attributes, "attributes");
    AttributeContext.Builder ctx = AttributeContext.newBuilder();
    AttributeContext.HttpRequest.Builder http = ctx.getRequestBuilder().getHttpBuilder();
    for (Map.Entry<String, String> e : attributes.entrySet()) {
      String name = e.getKey();
      String value = e.getValue();
      try {
        switch (name) {
          case "source.ip" -> socket(ctx.getSourceBuilder()).setAddress(value);
          case "source.port" -> socket(ctx.getSourceBuilder()).setPortValue(Integer.parseInt(value));
          case "source.principal" -> ctx.getSourceBuilder().setPrincipal(value);
          case "destination.ip" -> socket(ctx.getDestinationBuilder()).setAddress(value);
          case "destination.port" ->
              socket(ctx.getDestinationBuilder()).setPortValue(Integer.parseInt(value));
          case "destination.principal" -> ctx.getDestinationBuilder().setPrincipal(value);
          case "request.id" -> http.setId(value);
          case "request.method" -> http.setMethod(value);
          case "request.path" -> http.setPath(value);
          case "request.host" -> http.setHost(value);
          case "request.scheme" -> http.setScheme(value);
          case "request.protocol" -> http.setProtocol(value);
          case "request.size" -> http.setSize(Long.parseLong(value));
          case "request.time" -> {
            Instant t = Instant.parse(value);
            ctx.getRequestBuilder()
                .setTime(Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()));
          }
          case "connection.requested_server_name" -> ctx.getTlsSessionBuilder().setSni(value);
          default -> {
            if (name.startsWith("request.headers[") && name.endsWith("]")) {
              http.putHeaders(name.substring("request.headers[".length(), name.length() - 1), value);
            } else {
              ctx.putContextExtensions(name, value);
            }
          }
        }
      } catch (RuntimeException ex) {
        throw new IllegalArgumentException(name + ": '" + value + "' " + ex.getMessage(), ex);
      }
    }
    if (http.getMethod().isEmpty()) {
      http.setMethod("GET");
    }
    if (http.getPath().isEmpty()) {
      http.setPath("/");
    }
    if (http.getProtocol().isEmpty()) {
      http.setProtocol("HTTP/1.1");
    }
    return CheckRequest.newBuilder().setAttributes(ctx).build();
  }

  private static SocketAddress.Builder socket(AttributeContext.Peer.Builder peer) {
    Address.Builder a = peer.getAddressBuilder();
    return a.getSocketAddressBuilder();
  }
}
