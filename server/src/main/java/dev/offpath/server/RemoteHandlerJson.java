package dev.offpath.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.offpath.core.remote.RemoteAuthentication;
import dev.offpath.core.remote.RemoteConnection;
import dev.offpath.core.remote.RemoteHandlerConfig;
import dev.offpath.core.remote.RemoteTemplate;
import org.jspecify.annotations.Nullable;

/**
 * How {@code /config} shows a handler of an out-of-process adapter (README "Wiring an existing
 * adapter"): its {@code kind: adapter}, templates, address, timeout, failure policy, the
 * authentication's kind with its file paths and names, and the encoded params' type and size. Never
 * a file's contents nor the params' bytes (they may hold credentials). Stateless.
 */
final class RemoteHandlerJson {

  private RemoteHandlerJson() {}

  /** Adds {@code remote} to {@code handler} when {@code adapterConfig} is a remote handler's. */
  static void describe(ObjectNode handler, Object adapterConfig) {
    if (!(adapterConfig instanceof RemoteHandlerConfig c)) {
      return;
    }
    ObjectNode n = handler.putObject("remote");
    n.put("adapter", c.adapter());
    ArrayNode templates = n.putArray("templates");
    for (RemoteTemplate t : c.templates()) {
      templates.add(t.name());
    }
    RemoteConnection connection = c.connection();
    n.put("address", connection.address());
    n.put("timeout", connection.timeout().toString());
    n.put("failurePolicy", c.failurePolicy().name());
    n.put("sessionBased", c.sessionBased());
    ByteString params = c.params();
    if (params == null) {
      n.putNull("params");
    } else {
      n.put("params", c.paramsTypeUrl() + " (" + params.size() + " bytes)");
    }
    authentication(n, connection.authentication());
  }

  private static void authentication(ObjectNode n, @Nullable RemoteAuthentication auth) {
    switch (auth) {
      case null -> n.put("authentication", "none");
      case RemoteAuthentication.Mutual m -> {
        ObjectNode a = n.putObject("authentication");
        a.put("kind", "mutual");
        a.put("privateKey", m.privateKey());
        a.put("clientCertificate", m.clientCertificate());
        a.put("caCertificates", m.caCertificates());
        putIfSet(a, "serverName", m.serverName());
      }
      case RemoteAuthentication.Tls t -> {
        ObjectNode a = n.putObject("authentication");
        a.put("kind", "tls");
        a.put("caCertificates", t.caCertificates());
        putIfSet(a, "tokenPath", t.tokenPath());
        a.put("authHeader", t.authHeader().name());
        putIfSet(a, "customHeader", t.customHeader());
        putIfSet(a, "serverName", t.serverName());
      }
    }
  }

  private static void putIfSet(ObjectNode n, String name, @Nullable String value) {
    if (value != null) {
      n.put(name, value);
    }
  }
}
