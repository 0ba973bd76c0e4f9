package dev.offpath.accesslog;

import static dev.offpath.accesslog.EntryAttributes.slot;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.attribute.StringMap;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.RequestMethod;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.data.accesslog.v3.TCPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.TLSProperties;
import io.envoyproxy.envoy.data.accesslog.v3.TLSProperties.CertificateProperties;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Envoy access-log entries → Mixer attributes (the table is in README, "Access log → attributes").
 * Empty proto fields leave their attribute absent, so {@code |} defaults apply. Stateless.
 */
public final class EntryMapping {

  private static final int SOURCE_IP = slot("source.ip");
  private static final int SOURCE_PORT = slot("source.port");
  private static final int SOURCE_PRINCIPAL = slot("source.principal");
  private static final int DESTINATION_IP = slot("destination.ip");
  private static final int DESTINATION_PORT = slot("destination.port");
  private static final int DESTINATION_PRINCIPAL = slot("destination.principal");
  private static final int SERVICE_HOST = slot("destination.service.host");
  private static final int SERVICE_NAME = slot("destination.service.name");
  private static final int SERVICE_NAMESPACE = slot("destination.service.namespace");
  private static final int SERVICE_UID = slot("destination.service.uid");
  private static final int REQUEST_HEADERS = slot("request.headers");
  private static final int REQUEST_ID = slot("request.id");
  private static final int REQUEST_PATH = slot("request.path");
  private static final int REQUEST_URL_PATH = slot("request.url_path");
  private static final int REQUEST_HOST = slot("request.host");
  private static final int REQUEST_METHOD = slot("request.method");
  private static final int REQUEST_REFERER = slot("request.referer");
  private static final int REQUEST_SCHEME = slot("request.scheme");
  private static final int REQUEST_SIZE = slot("request.size");
  private static final int REQUEST_TOTAL_SIZE = slot("request.total_size");
  private static final int REQUEST_TIME = slot("request.time");
  private static final int REQUEST_USERAGENT = slot("request.useragent");
  private static final int RESPONSE_HEADERS = slot("response.headers");
  private static final int RESPONSE_SIZE = slot("response.size");
  private static final int RESPONSE_TOTAL_SIZE = slot("response.total_size");
  private static final int RESPONSE_TIME = slot("response.time");
  private static final int RESPONSE_DURATION = slot("response.duration");
  private static final int RESPONSE_CODE = slot("response.code");
  private static final int RESPONSE_GRPC_STATUS = slot("response.grpc_status");
  private static final int RESPONSE_GRPC_MESSAGE = slot("response.grpc_message");
  private static final int CONNECTION_EVENT = slot("connection.event");
  private static final int RECEIVED_BYTES = slot("connection.received.bytes");
  private static final int RECEIVED_BYTES_TOTAL = slot("connection.received.bytes_total");
  private static final int SENT_BYTES = slot("connection.sent.bytes");
  private static final int SENT_BYTES_TOTAL = slot("connection.sent.bytes_total");
  private static final int CONNECTION_DURATION = slot("connection.duration");
  private static final int CONNECTION_MTLS = slot("connection.mtls");
  private static final int REQUESTED_SERVER_NAME = slot("connection.requested_server_name");
  private static final int CONTEXT_PROTOCOL = slot("context.protocol");
  private static final int CONTEXT_TIME = slot("context.time");
  private static final int PROXY_ERROR_CODE = slot("context.proxy_error_code");

  /** Small INT64 values (ports, status codes) boxed once. */
  private static final Long[] SMALL = new Long[65536];

  static {
    for (int i = 0; i < SMALL.length; i++) {
      SMALL[i] = (long) i;
    }
  }

  private EntryMapping() {}

  /** The attributes of an HTTP entry. */
  public static EntryAttributes http(StreamReporter reporter, HTTPAccessLogEntry entry)
      throws MalformedEntryException {
    AccessLogCommon common = entry.getCommonProperties();
    @Nullable Object[] v = reporter.start(isOutbound(common));
    common(v, common);
    HTTPRequestProperties request = entry.getRequest();
    HTTPResponseProperties response = entry.getResponse();
    RequestMethod method = request.getRequestMethod();
    if (method != RequestMethod.METHOD_UNSPECIFIED && method != RequestMethod.UNRECOGNIZED) {
      v[REQUEST_METHOD] = method.name();
    }
    String path = request.getPath();
    if (!path.isEmpty()) {
      v[REQUEST_PATH] = path;
      int q = path.indexOf('?');
      v[REQUEST_URL_PATH] = q < 0 ? path : path.substring(0, q);
    }
    putString(v, REQUEST_HOST, request.getAuthority());
    putString(v, REQUEST_SCHEME, request.getScheme());
    putString(v, REQUEST_ID, request.getRequestId());
    putString(v, REQUEST_USERAGENT, request.getUserAgent());
    putString(v, REQUEST_REFERER, request.getReferer());
    Map<String, String> loggedHeaders = request.getRequestHeadersMap(); // allocates when empty: once
    v[REQUEST_HEADERS] = new RequestHeaders(request, loggedHeaders);
    long requestBody = count(request.getRequestBodyBytes(), "request_body_bytes");
    long requestHeaders = count(request.getRequestHeadersBytes(), "request_headers_bytes");
    v[REQUEST_SIZE] = number(requestBody);
    v[REQUEST_TOTAL_SIZE] = number(sum(requestHeaders, requestBody, "request size"));

    if (response.hasResponseCode()) {
      // A uint32: one past Integer.MAX_VALUE is no HTTP status, but not a negative one either.
      v[RESPONSE_CODE] = number(Integer.toUnsignedLong(response.getResponseCode().getValue()));
    }
    long responseBody = count(response.getResponseBodyBytes(), "response_body_bytes");
    long responseHeaders = count(response.getResponseHeadersBytes(), "response_headers_bytes");
    v[RESPONSE_SIZE] = number(responseBody);
    v[RESPONSE_TOTAL_SIZE] = number(sum(responseHeaders, responseBody, "response size"));
    Map<String, String> headers = response.getResponseHeadersMap();
    Map<String, String> trailers = response.getResponseTrailersMap();
    if (!headers.isEmpty() || !trailers.isEmpty()) {
      v[RESPONSE_HEADERS] = responseHeaders(headers, trailers);
    }
    String grpcStatus = header(trailers, headers, "grpc-status");
    if (grpcStatus != null) {
      v[RESPONSE_GRPC_STATUS] = grpcStatus;
      putString(v, RESPONSE_GRPC_MESSAGE, header(trailers, headers, "grpc-message"));
    }
    String contentType = loggedHeaders.get("content-type");
    boolean grpc =
        grpcStatus != null || (contentType != null && contentType.startsWith("application/grpc"));
    v[CONTEXT_PROTOCOL] = grpc ? "grpc" : "http";

    Timestamp start = common.getStartTime();
    Duration total =
        common.hasTimeToLastDownstreamTxByte()
            ? common.getTimeToLastDownstreamTxByte()
            : common.hasDuration() ? common.getDuration() : common.getTimeToLastRxByte();
    if (common.hasStartTime()) {
      Instant t = instant(start);
      v[REQUEST_TIME] = t;
      Instant end = plus(t, total);
      v[RESPONSE_TIME] = end;
      v[CONTEXT_TIME] = end;
    }
    v[RESPONSE_DURATION] = duration(total);
    return new EntryAttributes(v);
  }

  /** The attributes of a TCP entry, its byte counts as they are (the whole connection so far). */
  public static EntryAttributes tcp(StreamReporter reporter, TCPAccessLogEntry entry)
      throws MalformedEntryException {
    return tcp(
        reporter,
        entry,
        entry.getConnectionProperties().getSentBytes(),
        entry.getConnectionProperties().getReceivedBytes());
  }

  /**
   * The attributes of a TCP entry with {@code connection.sent.bytes} / {@code
   * connection.received.bytes} given as the bytes since the connection's previous entry (Mixer's
   * meaning); the {@code _total} attributes carry the entry's counts.
   */
  @SuppressWarnings("deprecation") // intermediate_log_entry: what Envoy sends besides access_log_type
  static EntryAttributes tcp(
      StreamReporter reporter, TCPAccessLogEntry entry, long sentDelta, long receivedDelta)
      throws MalformedEntryException {
    AccessLogCommon common = entry.getCommonProperties();
    @Nullable Object[] v = reporter.start(isOutbound(common));
    common(v, common);
    v[CONTEXT_PROTOCOL] = "tcp";
    v[CONNECTION_EVENT] = common.getIntermediateLogEntry() ? "continue" : "close";
    v[SENT_BYTES_TOTAL] = number(count(entry.getConnectionProperties().getSentBytes(), "sent_bytes"));
    v[RECEIVED_BYTES_TOTAL] =
        number(count(entry.getConnectionProperties().getReceivedBytes(), "received_bytes"));
    v[SENT_BYTES] = number(count(sentDelta, "sent_bytes"));
    v[RECEIVED_BYTES] = number(count(receivedDelta, "received_bytes"));
    Duration total =
        common.hasDuration()
            ? common.getDuration()
            : common.hasTimeToLastDownstreamTxByte()
                ? common.getTimeToLastDownstreamTxByte()
                : common.getTimeToLastRxByte();
    v[CONNECTION_DURATION] = duration(total);
    if (common.hasStartTime()) {
      Instant t = instant(common.getStartTime());
      v[CONTEXT_TIME] = plus(t, total);
    }
    return new EntryAttributes(v);
  }

  /** Istio's cluster names: {@code outbound|9080||reviews.default.svc.cluster.local}. */
  static boolean isOutbound(AccessLogCommon common) {
    return common.getUpstreamCluster().startsWith("outbound|");
  }

  private static void common(@Nullable Object[] v, AccessLogCommon common)
      throws MalformedEntryException {
    boolean outbound = isOutbound(common);
    address(v, common.getDownstreamRemoteAddress(), SOURCE_IP, SOURCE_PORT, "downstream_remote");
    Address destination =
        outbound && common.hasUpstreamRemoteAddress()
            ? common.getUpstreamRemoteAddress()
            : common.getDownstreamLocalAddress();
    address(v, destination, DESTINATION_IP, DESTINATION_PORT, "destination");
    cluster(v, common.getUpstreamCluster());
    if (common.hasTlsProperties()) {
      TLSProperties tls = common.getTlsProperties();
      putString(v, REQUESTED_SERVER_NAME, tls.getTlsSniHostname());
      String peer = principal(tls.getPeerCertificateProperties());
      String local = principal(tls.getLocalCertificateProperties());
      if (peer != null) {
        v[SOURCE_PRINCIPAL] = peer;
      }
      if (local != null) {
        v[DESTINATION_PRINCIPAL] = local;
      }
      v[CONNECTION_MTLS] = tls.hasPeerCertificateProperties();
    } else {
      v[CONNECTION_MTLS] = Boolean.FALSE;
    }
    if (common.hasResponseFlags()) {
      String flags = ResponseFlagCodes.of(common.getResponseFlags());
      if (!flags.isEmpty()) {
        v[PROXY_ERROR_CODE] = flags;
      }
    }
  }

  private static void address(
      @Nullable Object[] v, Address address, int ipSlot, int portSlot, String what)
      throws MalformedEntryException {
    if (!address.hasSocketAddress()) {
      return;
    }
    SocketAddress s = address.getSocketAddress();
    String text = s.getAddress();
    if (!text.isEmpty()) {
      IpAddress ip = ADDRESSES.get(text);
      if (ip == null) {
        try {
          ip = IpAddress.parse(text);
        } catch (IllegalArgumentException e) {
          throw new MalformedEntryException(what + " address: not an IP: " + text);
        }
        if (ADDRESSES.size() < MAX_ADDRESSES) {
          ADDRESSES.putIfAbsent(text, ip);
        }
      }
      v[ipSlot] = ip;
    }
    int port = s.getPortValue();
    if (port < 0 || port > 65535) {
      throw new MalformedEntryException(
          what + " port out of range: " + Integer.toUnsignedString(port));
    }
    if (port != 0) {
      v[portSlot] = number(port);
    }
  }

  /**
   * {@code outbound|9080|v1|reviews.default.svc.cluster.local} → host, name {@code reviews},
   * namespace {@code default} (only for {@code .svc.} hosts), uid {@code istio://default/services/reviews};
   * any other non-empty cluster name is taken as the host.
   */
  private static void cluster(@Nullable Object[] v, String cluster) {
    if (cluster.isEmpty()) {
      return;
    }
    Service service = SERVICES.get(cluster);
    if (service == null) {
      service = Service.of(cluster);
      if (SERVICES.size() < MAX_SERVICES) {
        SERVICES.putIfAbsent(cluster, service);
      }
    }
    if (service.host == null) {
      return;
    }
    v[SERVICE_HOST] = service.host;
    v[SERVICE_NAME] = service.name;
    if (service.namespace != null) {
      v[SERVICE_NAMESPACE] = service.namespace;
      v[SERVICE_UID] = service.uid;
    }
  }

  /**
   * Parsed peer addresses (a proxy sees the same pods over and over), up to {@value
   * #MAX_ADDRESSES}; past that, addresses are parsed on every entry. Only valid addresses are kept.
   */
  private static final ConcurrentHashMap<String, IpAddress> ADDRESSES = new ConcurrentHashMap<>();

  private static final int MAX_ADDRESSES = 16_384;

  /**
   * A proxy logs a few clusters over and over, so the parsed service of each cluster name is kept
   * (up to {@value #MAX_SERVICES} names; past that, names are parsed on every entry).
   */
  private static final ConcurrentHashMap<String, Service> SERVICES = new ConcurrentHashMap<>();

  private static final int MAX_SERVICES = 4096;

  /** The service attributes of one cluster name; a null host sets none of them. */
  private record Service(
      @Nullable String host, @Nullable String name, @Nullable String namespace, @Nullable String uid) {

    static Service of(String cluster) {
      String host = cluster;
      String[] parts = cluster.split("\\|", -1);
      if (parts.length == 4 && (parts[0].equals("outbound") || parts[0].equals("inbound"))) {
        host = parts[3];
        if (host.isEmpty()) {
          return new Service(null, null, null, null);
        }
      }
      int dot = host.indexOf('.');
      String name = dot < 0 ? host : host.substring(0, dot);
      int svc = host.indexOf(".svc.");
      if (dot > 0 && svc > dot) {
        String namespace = host.substring(dot + 1, svc);
        if (!namespace.isEmpty() && namespace.indexOf('.') < 0) {
          return new Service(host, name, namespace, "istio://" + namespace + "/services/" + name);
        }
      }
      return new Service(host, name, null, null);
    }
  }

  /** The first URI SAN without {@code spiffe://} (Istio's principal form), else the first DNS SAN. */
  private static @Nullable String principal(CertificateProperties cert) {
    String dns = null;
    for (CertificateProperties.SubjectAltName san : cert.getSubjectAltNameList()) {
      if (san.hasUri() && !san.getUri().isEmpty()) {
        String uri = san.getUri();
        return uri.startsWith("spiffe://") ? uri.substring("spiffe://".length()) : uri;
      }
      if (dns == null && san.hasDns() && !san.getDns().isEmpty()) {
        dns = san.getDns();
      }
    }
    return dns;
  }

  private static StringMap responseHeaders(Map<String, String> headers, Map<String, String> trailers) {
    if (trailers.isEmpty()) {
      return StringMap.of(headers);
    }
    java.util.HashMap<String, String> all = new java.util.HashMap<>(headers);
    all.putAll(trailers);
    return StringMap.of(all);
  }

  private static @Nullable String header(
      Map<String, String> first, Map<String, String> second, String name) {
    String s = first.get(name);
    return s != null ? s : second.get(name);
  }

  private static void putString(@Nullable Object[] v, int slot, @Nullable String s) {
    if (s != null && !s.isEmpty()) {
      v[slot] = s;
    }
  }

  static Long number(long n) {
    return n >= 0 && n < SMALL.length ? SMALL[(int) n] : Long.valueOf(n);
  }

  /**
   * One of Envoy's uint64 byte counts, which Java reads as a signed long: one past {@code
   * Long.MAX_VALUE} (8 EiB, no real count) makes the entry malformed rather than a negative size or
   * byte count (found by AccessLogEntryFuzzTest).
   */
  private static long count(long n, String field) throws MalformedEntryException {
    if (n < 0) {
      throw new MalformedEntryException(field + " out of range: " + Long.toUnsignedString(n));
    }
    return n;
  }

  /** {@code a + b} of two counts; an overflow makes the entry malformed. */
  private static long sum(long a, long b, String what) throws MalformedEntryException {
    try {
      return Math.addExact(a, b);
    } catch (ArithmeticException e) {
      throw new MalformedEntryException(what + " out of range: " + a + " + " + b);
    }
  }

  /** {@code t + d}; past the representable range the entry is malformed, not a crash. */
  private static Instant plus(Instant t, Duration d) throws MalformedEntryException {
    try {
      return t.plusSeconds(d.getSeconds()).plusNanos(d.getNanos());
    } catch (java.time.DateTimeException | ArithmeticException e) {
      throw new MalformedEntryException("start time + duration out of range");
    }
  }

  private static Instant instant(Timestamp t) throws MalformedEntryException {
    try {
      return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    } catch (java.time.DateTimeException e) {
      throw new MalformedEntryException("timestamp out of range: " + t.getSeconds());
    }
  }

  private static java.time.Duration duration(Duration d) throws MalformedEntryException {
    if (d.getSeconds() < 0 || d.getNanos() < 0) {
      throw new MalformedEntryException("negative duration: " + d.getSeconds() + "s");
    }
    return java.time.Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }
}
