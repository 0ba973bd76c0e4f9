/**
 * TLS and mTLS on the gRPC port (and the admin port's TLS): PEM files read into key material,
 * client certificates checked against a CA and an allowed-SAN list, certificate rotation without a
 * restart, and refused handshakes counted. README "Security" describes the flags and counters.
 */
@NullMarked
package dev.offpath.server.tls;

import org.jspecify.annotations.NullMarked;
