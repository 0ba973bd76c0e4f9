package dev.offpath.adapters.redisquota;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts that allocate tokens atomically in Redis, one per algorithm. Both are
 * best-effort (they grant {@code min(asked, left)}, possibly 0; a prefetch takes what it gets) and
 * read time from Redis ({@code TIME}), so Offpath instances with skewed clocks share one window.
 * Both return {@code {granted, validityMillis}}: how long the granted tokens may be spent (to the
 * end of a fixed window; one bucket for a rolling window, so that tokens are not spent long after
 * the window counted them).
 */
final class RedisScripts {

  /** Bound on {@code validDuration / bucketDuration}: a rolling window reads all its buckets. */
  static final long MAX_BUCKETS = 10_000;

  /**
   * KEYS[1]: the counter. ARGV: maxAmount, window length in ms, amount. The window starts at its
   * first allocation and ends when the key expires.
   */
  static final String FIXED_WINDOW =
      """
      local max = tonumber(ARGV[1])
      local window = tonumber(ARGV[2])
      local asked = tonumber(ARGV[3])
      local ttl = redis.call('PTTL', KEYS[1])
      local used = 0
      if ttl > 0 then
        used = tonumber(redis.call('GET', KEYS[1]) or '0')
      else
        ttl = window
      end
      local grant = math.min(asked, max - used)
      if grant <= 0 then
        return {0, ttl}
      end
      redis.call('SET', KEYS[1], used + grant, 'PX', ttl)
      return {grant, ttl}
      """;

  /**
   * KEYS[1]: a hash of bucket index to tokens granted in it. ARGV: maxAmount, window length in µs,
   * bucket length in µs, amount. The window is the current bucket and the ones before it that
   * together span {@code validDuration}; older buckets are deleted as they are seen.
   */
  static final String ROLLING_WINDOW =
      """
      local max = tonumber(ARGV[1])
      local window = tonumber(ARGV[2])
      local bucket = tonumber(ARGV[3])
      local asked = tonumber(ARGV[4])
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
      local current = math.floor(now / bucket)
      local oldest = current - math.floor(window / bucket) + 1
      local used = 0
      local fields = redis.call('HGETALL', KEYS[1])
      for i = 1, #fields, 2 do
        if tonumber(fields[i]) < oldest then
          redis.call('HDEL', KEYS[1], fields[i])
        else
          used = used + tonumber(fields[i + 1])
        end
      end
      local validity = math.max(1, math.floor(bucket / 1000))
      local grant = math.min(asked, max - used)
      if grant <= 0 then
        return {0, validity}
      end
      redis.call('HINCRBY', KEYS[1], string.format('%.0f', current), grant)
      redis.call('PEXPIRE', KEYS[1], math.ceil((window + bucket) / 1000))
      return {grant, validity}
      """;

  private RedisScripts() {}

  /** The SHA-1 Redis names a script by ({@code EVALSHA}). */
  static String sha1(String script) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-1").digest(script.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is a required JDK algorithm", e);
    }
  }
}
