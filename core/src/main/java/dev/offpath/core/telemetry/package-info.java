/** The contract between front doors and the telemetry (report) pipeline. */
@NullMarked
package dev.offpath.core.telemetry;

import org.jspecify.annotations.NullMarked;
