/**
 * Mixer's {@code redisquota} adapter: global rate limits kept in Redis, answered from local token
 * pools that are refilled ahead of demand, so a check never waits for Redis.
 */
@NullMarked
package dev.offpath.adapters.redisquota;

import org.jspecify.annotations.NullMarked;
