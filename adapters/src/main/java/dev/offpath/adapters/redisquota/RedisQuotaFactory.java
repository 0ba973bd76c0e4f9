package dev.offpath.adapters.redisquota;

import static java.util.Objects.requireNonNull;

import dev.offpath.adapters.redisquota.RedisQuotaConfig.Algorithm;
import dev.offpath.adapters.redisquota.RedisQuotaConfig.Quota;
import dev.offpath.adapters.redisquota.RedisQuotaConfig.QuotaOverride;
import dev.offpath.cache.quota.FailurePolicy;
import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.AdapterFactory;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.Params;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Mixer's {@code redisquota} adapter. Params as in Istio 1.1: {@code redisServerUrl}, {@code
 * connectionPoolSize}, {@code quotas} (each {@code name}, {@code maxAmount}, {@code validDuration},
 * {@code bucketDuration}, {@code rateLimitAlgorithm} FIXED_WINDOW (default) or ROLLING_WINDOW,
 * {@code overrides} of {@code dimensions} and {@code maxAmount}), validated as Mixer did ({@code
 * validDuration > 0}; rolling windows need {@code 0 < bucketDuration < validDuration}; an override
 * needs dimensions and a positive {@code maxAmount}).
 *
 * <p>Offpath's own params, for what Mixer left to chance: {@code failurePolicy} (FAIL_OPEN, the
 * default, or FAIL_CLOSE), {@code failOpenValidity} (1s), {@code timeout} of one Redis call (50ms),
 * {@code circuitBreakerFailures} (5 consecutive failures open the breaker) and {@code
 * circuitBreakerOpenDuration} (1s until a probe).
 *
 * <p>{@code redisServerUrl} forms: see {@link RedisEndpoint}. The password may be in the URL
 * ({@code redis://:password@host:port}), or in a file ({@code redisPasswordFile}: the file's
 * content, one trailing newline ignored, at most {@value #MAX_PASSWORD_BYTES} bytes), or in an
 * environment variable named by {@code redisPasswordEnv}; at most one of the three. It is held as a
 * {@link Secret}, and no error message quotes it. {@code redisCaFile} (PEM) is the CA to trust for
 * {@code rediss} URLs (default: the JVM's trust store); the server certificate must match the host.
 *
 * <p>Unlike Mixer, validation does not connect to Redis: a config is valid or not whatever Redis is
 * doing, and a handler whose Redis is down follows its failure policy until it comes back.
 */
public final class RedisQuotaFactory implements AdapterFactory<RedisQuotaConfig> {

  static final int DEFAULT_CONNECTION_POOL_SIZE = 1;
  static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(50);
  static final Duration DEFAULT_FAIL_OPEN_VALIDITY = Duration.ofSeconds(1);
  static final int DEFAULT_BREAKER_FAILURES = 5;
  static final Duration DEFAULT_BREAKER_OPEN_DURATION = Duration.ofSeconds(1);
  static final int MAX_CONNECTIONS = 64;
  static final int MAX_PASSWORD_BYTES = 4096;

  private final Function<String, @Nullable String> environment;

  public RedisQuotaFactory() {
    this(System::getenv);
  }

  /** With {@code environment} in place of the process environment (tests). */
  RedisQuotaFactory(Function<String, @Nullable String> environment) {
    this.environment = requireNonNull(environment, "environment");
  }

  @Override
  public String name() {
    return "redisquota";
  }

  @Override
  public Set<String> templates() {
    return Set.of("quota");
  }

  @Override
  public RedisQuotaConfig parse(Params params) throws AdapterConfigException {
    requireNonNull(params, "params");
    RedisEndpoint endpoint = endpoint(params);
    Path caFile = caFile(params, endpoint);
    long poolSize = params.longValue("connectionPoolSize", 0);
    if (poolSize < 0 || poolSize > MAX_CONNECTIONS) {
      throw params.invalid(
          "connectionPoolSize", poolSize + " (expected: 0 to " + MAX_CONNECTIONS + ")");
    }
    List<Params> quotaParams = params.objectList("quotas");
    if (quotaParams.isEmpty()) {
      throw params.invalid("quotas", "missing (expected: at least one quota)");
    }
    List<Quota> quotas = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Params q : quotaParams) {
      quotas.add(quota(q, names));
    }
    FailurePolicy policy =
        params.enumValue("failurePolicy", FailurePolicy.class, FailurePolicy.FAIL_OPEN);
    Duration failOpenValidity =
        positive(params, "failOpenValidity", DEFAULT_FAIL_OPEN_VALIDITY);
    Duration timeout = positive(params, "timeout", DEFAULT_TIMEOUT);
    long breakerFailures = params.longValue("circuitBreakerFailures", DEFAULT_BREAKER_FAILURES);
    if (breakerFailures < 1 || breakerFailures > Integer.MAX_VALUE) {
      throw params.invalid("circuitBreakerFailures", breakerFailures + " (expected: > 0)");
    }
    Duration breakerOpen =
        positive(params, "circuitBreakerOpenDuration", DEFAULT_BREAKER_OPEN_DURATION);
    params.rejectUnknown();
    return new RedisQuotaConfig(
        endpoint,
        caFile,
        poolSize == 0 ? DEFAULT_CONNECTION_POOL_SIZE : (int) poolSize,
        quotas,
        policy,
        failOpenValidity,
        timeout,
        (int) breakerFailures,
        breakerOpen);
  }

  private RedisEndpoint endpoint(Params params) throws AdapterConfigException {
    String url = params.string("redisServerUrl", "").trim();
    if (url.isEmpty()) {
      throw params.invalid("redisServerUrl", "missing (expected: " + RedisEndpoint.FORMS + ")");
    }
    RedisEndpoint endpoint;
    try {
      endpoint = RedisEndpoint.parse(url);
    } catch (IllegalArgumentException e) {
      // The message names the wrong part, never the URL: the URL may hold a password.
      throw params.invalid(
          "redisServerUrl", e.getMessage() + " (expected: " + RedisEndpoint.FORMS + ")");
    }
    String file = params.string("redisPasswordFile");
    String env = params.string("redisPasswordEnv");
    int sources = (endpoint.password() != null ? 1 : 0) + (file != null ? 1 : 0)
        + (env != null ? 1 : 0);
    if (sources > 1) {
      throw params.invalid(
          file != null ? "redisPasswordFile" : "redisPasswordEnv",
          "a second password (expected: the password in only one of redisServerUrl,"
              + " redisPasswordFile, redisPasswordEnv)");
    }
    if (file != null) {
      return endpoint.withPassword(passwordFile(params, file));
    }
    if (env != null) {
      if (!env.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        throw params.invalid("redisPasswordEnv", env + " (expected: an environment variable name)");
      }
      String value = environment.apply(env);
      if (value == null || value.isEmpty()) {
        throw params.invalid("redisPasswordEnv", env + " is not set or empty");
      }
      return endpoint.withPassword(new Secret(value));
    }
    return endpoint;
  }

  private static Secret passwordFile(Params params, String file) throws AdapterConfigException {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(Path.of(file))) {
      bytes = in.readNBytes(MAX_PASSWORD_BYTES + 1);
    } catch (IOException | InvalidPathException e) {
      throw params.invalid("redisPasswordFile", file + ": cannot read (" + e.getClass().getSimpleName() + ")");
    }
    if (bytes.length > MAX_PASSWORD_BYTES) {
      throw params.invalid(
          "redisPasswordFile", file + ": longer than " + MAX_PASSWORD_BYTES + " bytes");
    }
    String text = new String(bytes, StandardCharsets.UTF_8);
    if (text.endsWith("\r\n")) {
      text = text.substring(0, text.length() - 2);
    } else if (text.endsWith("\n")) {
      text = text.substring(0, text.length() - 1);
    }
    if (text.isEmpty()) {
      throw params.invalid("redisPasswordFile", file + ": empty");
    }
    if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) {
      throw params.invalid("redisPasswordFile", file + ": more than one line");
    }
    return new Secret(text);
  }

  private static @Nullable Path caFile(Params params, RedisEndpoint endpoint)
      throws AdapterConfigException {
    String file = params.string("redisCaFile");
    if (file == null) {
      return null;
    }
    if (!endpoint.tls()) {
      throw params.invalid("redisCaFile", "set for a URL without TLS (expected: a rediss URL)");
    }
    Path path;
    try {
      path = Path.of(file);
    } catch (InvalidPathException e) {
      throw params.invalid("redisCaFile", file + " (expected: a file path)");
    }
    if (!Files.isReadable(path) || Files.isDirectory(path)) {
      throw params.invalid("redisCaFile", file + ": not a readable file");
    }
    return path;
  }

  private static Quota quota(Params q, Set<String> names) throws AdapterConfigException {
    String name = q.requireString("name");
    if (!names.add(name)) {
      throw q.invalid("name", name + " (expected: a name no other quota uses)");
    }
    long maxAmount = maxAmount(q);
    Duration validDuration = q.duration("validDuration", Duration.ZERO);
    if (validDuration.isNegative() || validDuration.isZero()) {
      throw q.invalid("validDuration", format(q, "validDuration") + " (expected: > 0)");
    }
    Algorithm algorithm =
        q.enumValue("rateLimitAlgorithm", Algorithm.class, Algorithm.FIXED_WINDOW);
    Duration bucketDuration = q.duration("bucketDuration", Duration.ZERO);
    if (algorithm == Algorithm.ROLLING_WINDOW) {
      if (bucketDuration.isNegative() || bucketDuration.isZero()) {
        throw q.invalid(
            "bucketDuration",
            format(q, "bucketDuration") + " (expected: > 0 for ROLLING_WINDOW)");
      }
      if (validDuration.compareTo(bucketDuration) <= 0) {
        throw q.invalid(
            "validDuration",
            q.string("validDuration")
                + " (expected: longer than bucketDuration "
                + q.string("bucketDuration")
                + " for ROLLING_WINDOW)");
      }
      if (validDuration.toNanos() / bucketDuration.toNanos() > RedisScripts.MAX_BUCKETS) {
        throw q.invalid(
            "bucketDuration",
            q.string("bucketDuration")
                + " (expected: at most "
                + RedisScripts.MAX_BUCKETS
                + " buckets per validDuration)");
      }
    }
    List<QuotaOverride> overrides = new ArrayList<>();
    for (Params o : q.objectList("overrides")) {
      Map<String, String> dimensions = o.stringMap("dimensions");
      if (dimensions.isEmpty()) {
        throw o.invalid("dimensions", "empty (expected: at least one dimension)");
      }
      overrides.add(new QuotaOverride(dimensions, maxAmount(o)));
      o.rejectUnknown();
    }
    q.rejectUnknown();
    return new Quota(name, maxAmount, validDuration, bucketDuration, algorithm, overrides);
  }

  private static long maxAmount(Params p) throws AdapterConfigException {
    if (!p.has("maxAmount")) {
      throw p.invalid("maxAmount", "missing (expected: > 0)");
    }
    long amount = p.longValue("maxAmount", 0);
    if (amount <= 0) {
      throw p.invalid("maxAmount", amount + " (expected: > 0)");
    }
    return amount;
  }

  private static Duration positive(Params p, String key, Duration defaultValue)
      throws AdapterConfigException {
    Duration d = p.duration(key, defaultValue);
    if (d.isNegative() || d.isZero()) {
      throw p.invalid(key, p.string(key) + " (expected: > 0)");
    }
    return d;
  }

  private static String format(Params p, String key) throws AdapterConfigException {
    return p.has(key) ? String.valueOf(p.string(key)) : "missing";
  }

  @Override
  public Handler create(RedisQuotaConfig config, AdapterEnvironment environment) {
    return new RedisQuotaHandler(
        requireNonNull(config, "config"), requireNonNull(environment, "environment"));
  }
}
