/**
 * Tracing with OpenTelemetry ({@code --trace-zipkin-url}, {@code --trace-sample-rate}, {@code
 * --trace-log-spans}): the implementation of core's tracing SPI, the Check span joined to the
 * request's trace, handler dispatch spans, and the Zipkin and log exporters.
 */
@NullMarked
package dev.offpath.server.tracing;

import org.jspecify.annotations.NullMarked;
