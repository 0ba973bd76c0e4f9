package dev.offpath.server.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;

/**
 * Which client certificates may call: a list of patterns, each exact ({@code
 * spiffe://cluster.local/ns/istio-system/sa/istio-proxy}) or a prefix ending in {@code *} ({@code
 * spiffe://cluster.local/ns/istio-system/sa/*}), matched against the certificate's URI and DNS
 * subject alternative names. An empty list allows every certificate the CA vouches for. Immutable.
 */
record SanPolicy(List<String> patterns) {

  private static final int DNS = 2;
  private static final int URI = 6;

  SanPolicy {
    patterns = List.copyOf(patterns);
    for (String p : patterns) {
      if (p.isEmpty() || p.equals("*")) {
        throw new IllegalArgumentException(
            "tls-allowed-client-san: '" + p + "' (expected: a SAN or a prefix ending in *, not empty or * alone)");
      }
      if (p.indexOf('*') >= 0 && p.indexOf('*') != p.length() - 1) {
        throw new IllegalArgumentException(
            "tls-allowed-client-san: '" + p + "' (expected: * only at the end, as a prefix match)");
      }
    }
  }

  boolean allowsAll() {
    return patterns.isEmpty();
  }

  /** Whether one of the certificate's URI or DNS SANs matches a pattern. */
  boolean allows(X509Certificate cert) {
    if (patterns.isEmpty()) {
      return true;
    }
    Collection<List<?>> sans;
    try {
      sans = cert.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return false;
    }
    if (sans == null) {
      return false;
    }
    for (List<?> san : sans) {
      if (san.size() >= 2
          && san.get(0) instanceof Integer type
          && (type == URI || type == DNS)
          && san.get(1) instanceof String name
          && matches(name)) {
        return true;
      }
    }
    return false;
  }

  boolean matches(String name) {
    for (String p : patterns) {
      if (p.endsWith("*") ? name.startsWith(p.substring(0, p.length() - 1)) : name.equals(p)) {
        return true;
      }
    }
    return false;
  }
}
