/**
 * Mixer-style quota prefetch: a local token pool per (quota, referenced signature) that is refilled
 * from a backend before it runs dry, so that a quota check never waits on the backend ({@link
 * dev.offpath.cache.quota.QuotaPool}, keyed by {@link dev.offpath.cache.quota.QuotaPools}).
 */
@NullMarked
package dev.offpath.cache.quota;

import org.jspecify.annotations.NullMarked;
