/**
 * Envoy's gRPC access-log service ({@code envoy.service.accesslog.v3.AccessLogService}): HTTP and
 * TCP entries become Mixer attribute bags and go to the report pipeline, with gRPC flow control as
 * back-pressure.
 */
@NullMarked
package dev.offpath.accesslog;

import org.jspecify.annotations.NullMarked;
