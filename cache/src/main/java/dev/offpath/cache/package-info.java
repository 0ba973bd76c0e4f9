/**
 * Mixer-style caching in front of the policy runtime: the check cache keyed by the attributes a
 * decision read ({@link dev.offpath.cache.CheckCache}, {@link dev.offpath.cache.CachingDecider}).
 */
@NullMarked
package dev.offpath.cache;

import org.jspecify.annotations.NullMarked;
