/**
 * The {@code memquota} adapter: in-memory rate limits (rolling windows) and allocation pools, exact
 * for one process, with per-dimension overrides and request deduplication.
 */
@NullMarked
package dev.offpath.adapters.memquota;

import org.jspecify.annotations.NullMarked;
