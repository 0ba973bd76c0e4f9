/**
 * The end-to-end load driver: open-loop gRPC load against Offpath and a do-nothing ext_authz
 * server, each in its own JVM; see {@link dev.offpath.benchmarks.load.LoadDriver}.
 */
@NullMarked
package dev.offpath.benchmarks.load;

import org.jspecify.annotations.NullMarked;
