package dev.offpath.core.attribute;

import static dev.offpath.core.attribute.ValueType.BOOL;
import static dev.offpath.core.attribute.ValueType.DURATION;
import static dev.offpath.core.attribute.ValueType.INT64;
import static dev.offpath.core.attribute.ValueType.IP_ADDRESS;
import static dev.offpath.core.attribute.ValueType.STRING;
import static dev.offpath.core.attribute.ValueType.STRING_MAP;
import static dev.offpath.core.attribute.ValueType.TIMESTAMP;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The built-in attribute vocabulary: Istio 1.0's "Attribute Vocabulary" plus the Istio 1.1 additions,
 * with the types of Istio's default attribute manifests ({@code istioproxy} and {@code kubernetes}).
 * The deprecated {@code source.service} / {@code destination.service} of 1.0 stay declared so that
 * 1.0 configs compile.
 */
public final class Vocabulary {

  private Vocabulary() {}

  private static final AttributeManifest BUILTIN = AttributeManifest.of(declarations());

  private static Map<String, ValueType> declarations() {
    Map<String, ValueType> m = new LinkedHashMap<>();
    // source
    m.put("source.uid", STRING);
    m.put("source.ip", IP_ADDRESS);
    m.put("source.labels", STRING_MAP);
    m.put("source.metadata", STRING_MAP);
    m.put("source.name", STRING);
    m.put("source.namespace", STRING);
    m.put("source.owner", STRING);
    m.put("source.principal", STRING);
    m.put("source.service", STRING);
    m.put("source.serviceAccount", STRING);
    m.put("source.services", STRING);
    m.put("source.user", STRING);
    m.put("source.workload.uid", STRING);
    m.put("source.workload.name", STRING);
    m.put("source.workload.namespace", STRING);
    // destination
    m.put("destination.uid", STRING);
    m.put("destination.ip", IP_ADDRESS);
    m.put("destination.port", INT64);
    m.put("destination.labels", STRING_MAP);
    m.put("destination.metadata", STRING_MAP);
    m.put("destination.owner", STRING);
    m.put("destination.name", STRING);
    m.put("destination.container.name", STRING);
    m.put("destination.container.image", STRING);
    m.put("destination.namespace", STRING);
    m.put("destination.principal", STRING);
    m.put("destination.service", STRING);
    m.put("destination.service.uid", STRING);
    m.put("destination.service.name", STRING);
    m.put("destination.service.namespace", STRING);
    m.put("destination.service.host", STRING);
    m.put("destination.serviceAccount", STRING);
    m.put("destination.workload.uid", STRING);
    m.put("destination.workload.name", STRING);
    m.put("destination.workload.namespace", STRING);
    // origin (deprecated in 1.0, still in the manifest)
    m.put("origin.ip", IP_ADDRESS);
    m.put("origin.uid", STRING);
    m.put("origin.user", STRING);
    // request
    m.put("request.headers", STRING_MAP);
    m.put("request.id", STRING);
    m.put("request.path", STRING);
    m.put("request.url_path", STRING);
    m.put("request.query_params", STRING_MAP);
    m.put("request.host", STRING);
    m.put("request.method", STRING);
    m.put("request.reason", STRING);
    m.put("request.referer", STRING);
    m.put("request.scheme", STRING);
    m.put("request.size", INT64);
    m.put("request.total_size", INT64);
    m.put("request.time", TIMESTAMP);
    m.put("request.useragent", STRING);
    m.put("request.api_key", STRING);
    m.put("request.auth.principal", STRING);
    m.put("request.auth.audiences", STRING);
    m.put("request.auth.presenter", STRING);
    m.put("request.auth.claims", STRING_MAP);
    m.put("request.auth.raw_claims", STRING);
    // response
    m.put("response.headers", STRING_MAP);
    m.put("response.size", INT64);
    m.put("response.total_size", INT64);
    m.put("response.time", TIMESTAMP);
    m.put("response.duration", DURATION);
    m.put("response.code", INT64);
    m.put("response.grpc_status", STRING);
    m.put("response.grpc_message", STRING);
    // connection
    m.put("connection.id", STRING);
    m.put("connection.event", STRING);
    m.put("connection.received.bytes", INT64);
    m.put("connection.received.bytes_total", INT64);
    m.put("connection.sent.bytes", INT64);
    m.put("connection.sent.bytes_total", INT64);
    m.put("connection.duration", DURATION);
    m.put("connection.mtls", BOOL);
    m.put("connection.requested_server_name", STRING);
    // context
    m.put("context.protocol", STRING);
    m.put("context.time", TIMESTAMP);
    m.put("context.timestamp", TIMESTAMP);
    m.put("context.proxy_error_code", STRING);
    m.put("context.reporter.kind", STRING);
    m.put("context.reporter.local", BOOL);
    m.put("context.reporter.uid", STRING);
    // api
    m.put("api.service", STRING);
    m.put("api.version", STRING);
    m.put("api.operation", STRING);
    m.put("api.protocol", STRING);
    // check, quota, rbac
    m.put("check.error_code", INT64);
    m.put("check.error_message", STRING);
    m.put("check.cache_hit", BOOL);
    m.put("quota.cache_hit", BOOL);
    m.put("rbac.permissive.response_code", STRING);
    m.put("rbac.permissive.effective_policy_id", STRING);
    return m;
  }

  /** The built-in manifest. */
  public static AttributeManifest builtin() {
    return BUILTIN;
  }
}
