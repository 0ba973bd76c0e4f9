/**
 * Out-of-process adapters (Mixer's gRPC adapter protocol, README "Out-of-process adapters"): the
 * compiled form of {@code kind: template}, {@code kind: adapter} and a handler's {@code connection},
 * which the config compiler builds and the remote adapter module dispatches with.
 */
@NullMarked
package dev.offpath.core.remote;

import org.jspecify.annotations.NullMarked;
