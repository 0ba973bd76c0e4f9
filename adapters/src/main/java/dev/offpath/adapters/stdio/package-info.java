/**
 * The {@code stdio} adapter: {@code logentry} (and {@code metric}) instances as log lines, JSON or
 * console style, to stdout, stderr or a (rotated) file. Params as Mixer's (Istio 1.0/1.1).
 */
@NullMarked
package dev.offpath.adapters.stdio;

import org.jspecify.annotations.NullMarked;
