/** Offpath's self-monitoring metrics (gRPC server, Mixer runtime and config), on a given registry. */
@NullMarked
package dev.offpath.server.metrics;

import org.jspecify.annotations.NullMarked;
