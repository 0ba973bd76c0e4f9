/**
 * Offpath as Envoy's control plane for its own filters: the {@code EnvoyProxy} config kind and an ADS
 * (xDS v3) server, via java-control-plane, whose snapshot wires Envoy's ext_authz, ext_proc and gRPC
 * access log back to Offpath.
 */
@NullMarked
package dev.offpath.controlplane;

import org.jspecify.annotations.NullMarked;
