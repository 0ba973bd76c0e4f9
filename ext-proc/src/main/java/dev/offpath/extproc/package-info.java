/** Envoy's external processing front door: {@code envoy.service.ext_proc.v3.ExternalProcessor}. */
@NullMarked
package dev.offpath.extproc;

import org.jspecify.annotations.NullMarked;
