/**
 * Out-of-process adapters (README "Out-of-process adapters"): handlers that call an adapter over
 * Mixer's gRPC adapter protocol ({@code Handle<Template>}), encoding instances from the template's
 * descriptor at run time, with the check cache, the quota prefetch pools and report batching in
 * front of the network.
 */
@NullMarked
package dev.offpath.remote;

import org.jspecify.annotations.NullMarked;
