package dev.offpath.benchmarks.load;

import dev.offpath.extauthz.CheckRequests;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Check requests of the load run, as a sidecar's ext_authz filter sends them: peers with
 * principals, twelve headers (unique request ids and trace ids), {@code x-user} over a set of users
 * (the memquota dimension) and the destination service as a context extension. One request in 64
 * is one the twenty-rule policy denies (service {@code svc-N} for user {@code blocked-N}), so the
 * deny path is exercised too; the rest are allowed.
 */
public final class CheckTraffic {

  static final int DENIED_EVERY = 64;
  private static final String[] SERVICES = {"reviews", "ratings", "details", "productpage"};

  private CheckTraffic() {}

  static List<CheckRequest> requests(int count, int users) {
    List<CheckRequest> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(CheckRequests.fromAttributes(attributes(i, users)));
    }
    return out;
  }

  /**
   * The same requests as {@link #requests}, encoded one at a time: many of them (a soak's tens of
   * thousands of users) take a tenth of the memory of their protos.
   */
  static byte[][] encoded(int count, int users) {
    byte[][] out = new byte[count][];
    for (int i = 0; i < count; i++) {
      out[i] = CheckRequests.fromAttributes(attributes(i, users)).toByteArray();
    }
    return out;
  }

  /** Whether request {@code i} is one the policy denies. */
  static boolean denied(int i) {
    return i % DENIED_EVERY == DENIED_EVERY - 1;
  }

  /** The attributes of request {@code i} among {@code users} users, for {@link CheckRequests}. */
  public static Map<String, String> attributes(int i, int users) {
    boolean denied = denied(i);
    String service = denied ? "svc-" + (i % 18) : SERVICES[i % SERVICES.length];
    String user = denied ? "blocked-" + (i % 18) : "user-" + (i % users);
    String host = service + ".default.svc.cluster.local:9080";
    String path = "/api/v1/" + service + "/" + (i % 100);
    String requestId = String.format("%08x-7b4f-4c2e-9a1d-%012x", i * 2654435761L & 0xffffffffL, i);
    Map<String, String> a = new LinkedHashMap<>();
    a.put("source.ip", "10.1." + (i >> 8 & 0xff) + "." + (i & 0xff));
    a.put("source.port", Integer.toString(40000 + i % 20000));
    a.put("source.principal", "spiffe://cluster.local/ns/default/sa/productpage");
    a.put("destination.ip", "10.1.3.12");
    a.put("destination.port", "9080");
    a.put("destination.principal", "spiffe://cluster.local/ns/default/sa/" + service);
    a.put("request.id", requestId);
    a.put("request.method", "GET");
    a.put("request.path", path);
    a.put("request.host", host);
    a.put("request.scheme", "http");
    a.put("request.protocol", "HTTP/1.1");
    a.put("request.headers[:authority]", host);
    a.put("request.headers[:method]", "GET");
    a.put("request.headers[:path]", path);
    a.put("request.headers[:scheme]", "http");
    a.put("request.headers[accept]", "application/json");
    a.put("request.headers[accept-encoding]", "gzip, deflate");
    a.put("request.headers[user-agent]", "curl");
    a.put("request.headers[x-request-id]", requestId);
    a.put("request.headers[x-b3-traceid]", String.format("%032x", i * 0x9E3779B97F4A7C15L));
    a.put("request.headers[x-b3-spanid]", String.format("%016x", i * 0xC2B2AE3D27D4EB4FL));
    a.put("request.headers[x-forwarded-proto]", "http");
    a.put("request.headers[x-user]", user);
    a.put("destination.service.name", service);
    return a;
  }
}
