/** Injected time sources. */
@NullMarked
package dev.offpath.core.time;

import org.jspecify.annotations.NullMarked;
