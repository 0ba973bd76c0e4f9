package dev.offpath.adapters.memquota;

import static java.util.Objects.requireNonNull;

import dev.offpath.adapters.memquota.MemQuotaConfig.Quota;
import dev.offpath.adapters.memquota.MemQuotaConfig.QuotaOverride;
import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.AdapterFactory;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.Params;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Mixer's {@code memquota} adapter. Params as in Istio 1.1: {@code quotas} (each {@code name},
 * {@code maxAmount}, {@code validDuration}, {@code overrides} of {@code dimensions}, {@code
 * maxAmount}, {@code validDuration}) and {@code minDeduplicationDuration} (default 1s). As in
 * Mixer, a missing {@code validDuration} is zero: a pool that never refills. Stricter than Mixer,
 * which accepted any values: quota names are unique, a quota's {@code maxAmount} is positive, an
 * override's is given and not negative. Offpath's own bounds: {@code maxBuckets} (default
 * 100,000 distinct dimension sets per handler; a new set past it is refused with
 * RESOURCE_EXHAUSTED) and {@code idleBucketTimeout} (default 10m: an unused {@code validDuration: 0}
 * pool is dropped).
 */
public final class MemQuotaFactory implements AdapterFactory<MemQuotaConfig> {

  static final Duration DEFAULT_MIN_DEDUPLICATION_DURATION = Duration.ofSeconds(1);
  static final int DEFAULT_MAX_BUCKETS = 100_000;
  static final Duration DEFAULT_IDLE_BUCKET_TIMEOUT = Duration.ofMinutes(10);

  @Override
  public String name() {
    return "memquota";
  }

  @Override
  public Set<String> templates() {
    return Set.of("quota");
  }

  @Override
  public MemQuotaConfig parse(Params params) throws AdapterConfigException {
    requireNonNull(params, "params");
    List<Quota> quotas = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Params q : params.objectList("quotas")) {
      String name = q.requireString("name");
      if (!names.add(name)) {
        throw q.invalid("name", name + " (expected: a name no other quota uses)");
      }
      long maxAmount = amount(q, false);
      Duration validDuration = validDuration(q);
      List<QuotaOverride> overrides = new ArrayList<>();
      for (Params o : q.objectList("overrides")) {
        Map<String, String> dimensions = o.stringMap("dimensions");
        overrides.add(new QuotaOverride(dimensions, amount(o, true), validDuration(o)));
        o.rejectUnknown();
      }
      q.rejectUnknown();
      quotas.add(new Quota(name, maxAmount, validDuration, overrides));
    }
    Duration dedup =
        params.duration("minDeduplicationDuration", DEFAULT_MIN_DEDUPLICATION_DURATION);
    if (dedup.isNegative() || dedup.isZero()) {
      throw params.invalid(
          "minDeduplicationDuration",
          params.string("minDeduplicationDuration") + " (expected: > 0)");
    }
    long maxBuckets = params.longValue("maxBuckets", DEFAULT_MAX_BUCKETS);
    if (maxBuckets <= 0 || maxBuckets > Integer.MAX_VALUE) {
      throw params.invalid("maxBuckets", maxBuckets + " (expected: 1.." + Integer.MAX_VALUE + ")");
    }
    Duration idle = params.duration("idleBucketTimeout", DEFAULT_IDLE_BUCKET_TIMEOUT);
    if (idle.isNegative() || idle.isZero()) {
      throw params.invalid("idleBucketTimeout", params.string("idleBucketTimeout") + " (expected: > 0)");
    }
    params.rejectUnknown();
    return new MemQuotaConfig(quotas, dedup, (int) maxBuckets, idle);
  }

  private static long amount(Params p, boolean zeroAllowed) throws AdapterConfigException {
    String expected = zeroAllowed ? "(expected: >= 0)" : "(expected: > 0)";
    if (!p.has("maxAmount")) {
      throw p.invalid("maxAmount", "missing " + expected);
    }
    long amount = p.longValue("maxAmount", 0);
    if (amount < 0 || (amount == 0 && !zeroAllowed)) {
      throw p.invalid("maxAmount", amount + " " + expected);
    }
    return amount;
  }

  private static Duration validDuration(Params p) throws AdapterConfigException {
    Duration d = p.duration("validDuration", Duration.ZERO);
    if (d.isNegative()) {
      throw p.invalid("validDuration", p.string("validDuration") + " (expected: >= 0)");
    }
    return d;
  }

  @Override
  public Handler create(MemQuotaConfig config, AdapterEnvironment environment) {
    return new MemQuotaHandler(
        requireNonNull(config, "config"), requireNonNull(environment, "environment"));
  }
}
