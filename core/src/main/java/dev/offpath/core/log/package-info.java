/** Logging helpers for errors caused by input: rate-limited, so a flood cannot flood the log. */
@NullMarked
package dev.offpath.core.log;

import org.jspecify.annotations.NullMarked;
