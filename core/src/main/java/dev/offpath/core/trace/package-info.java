/**
 * The tracing SPI: what core, the cache and adapters need to open spans, with no tracing library.
 * The server implements it with OpenTelemetry; {@link dev.offpath.core.trace.Tracer#NOOP} (tracing
 * off) creates no objects.
 */
@NullMarked
package dev.offpath.core.trace;

import org.jspecify.annotations.NullMarked;
