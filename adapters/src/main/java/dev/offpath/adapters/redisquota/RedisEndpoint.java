package dev.offpath.adapters.redisquota;

import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.Params;
import io.lettuce.core.RedisURI;

/** Parses {@code redisServerUrl}: Mixer's {@code host:port}, or a {@code redis://} URI. */
final class RedisEndpoint {

  private RedisEndpoint() {}

  static RedisURI parse(String url, Params params) throws AdapterConfigException {
    try {
      return parse(url);
    } catch (IllegalArgumentException e) {
      throw params.invalid("redisServerUrl", url + " (expected: host:port or redis://host:port)");
    }
  }

  static RedisURI parse(String url) {
    if (url.contains("://")) {
      return RedisURI.create(url);
    }
    int colon = url.lastIndexOf(':');
    if (colon <= 0 || colon == url.length() - 1) {
      throw new IllegalArgumentException("not host:port: " + url);
    }
    String host = url.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(url.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not host:port: " + url, e);
    }
    if (port < 1 || port > 65_535 || host.isEmpty()) {
      throw new IllegalArgumentException("not host:port: " + url);
    }
    return RedisURI.builder().withHost(host).withPort(port).build();
  }
}
