package dev.offpath.remote;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.offpath.cache.quota.FailurePolicy;
import dev.offpath.cache.quota.PrefetchOptions;
import dev.offpath.cache.quota.QuotaBackend;
import dev.offpath.cache.quota.QuotaPoolStats;
import dev.offpath.cache.quota.QuotaPools;
import dev.offpath.core.adapter.CircuitBreaker;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.adapter.QuotaArgs;
import dev.offpath.core.adapter.QuotaResult;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.remote.RemoteFailurePolicy;
import dev.offpath.core.remote.RemoteTemplate;
import dev.offpath.core.time.Ticker;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * A quota template of a remote handler, behind Offpath's prefetch pools ({@link QuotaPools}): one
 * pool per distinct quota instance (its name and dimensions, as encoded), whose backend calls
 * {@code HandleQuota} for a prefetch amount; a check takes tokens from the pool and never waits for
 * the adapter. The adapter's {@code QuotaResult} entry for the instance's name gives {@code
 * granted_amount}, {@code valid_duration} (0 is read as {@value #DEFAULT_VALIDITY_SECONDS} s: tokens
 * valid for no time would make every check a call) and {@code status}: OK and RESOURCE_EXHAUSTED
 * are answers, any other status a failure.
 *
 * <p><b>Failures</b> (adapter down, timeout, circuit open) follow the handler's failure policy as
 * the pool's {@link FailurePolicy}: FAIL_OPEN grants what was asked for a second and passes checks
 * until the adapter answers; FAIL_CLOSE grants nothing, and a check the pool then denies is
 * answered UNAVAILABLE ("quota adapter unavailable", Envoy's 503), not RESOURCE_EXHAUSTED: an
 * adapter that is down is never a 429 storm. Likewise a check the pool denies while a prefetch is
 * unanswered (FAIL_CLOSE) and the adapter's last answer for the pool was a full grant, or there was
 * none, is UNAVAILABLE ("quota adapter has not answered yet"): RESOURCE_EXHAUSTED only follows the
 * adapter's own partial grant or RESOURCE_EXHAUSTED answer.
 *
 * <p>Thread-safe; never blocks.
 */
final class RemoteQuota {

  static final long MAX_POOLS = 100_000;
  static final Duration POOL_IDLE = Duration.ofMinutes(10);
  static final int DEFAULT_VALIDITY_SECONDS = 1;
  static final String UNAVAILABLE_MESSAGE = "quota adapter unavailable";
  static final String UNANSWERED_MESSAGE = "quota adapter has not answered yet";

  private final Caller caller;
  private final RequestEncoder encoder;
  private final io.grpc.MethodDescriptor<byte[], byte[]> method;
  private final QuotaPools<Key> pools;
  /** The key objects of the pools, bounded and expiring like the pools. */
  private final Cache<Key, Key> keys;
  private final Descriptor answerType;
  private final FieldDescriptor quotas;

  RemoteQuota(
      Caller caller,
      RequestEncoder encoder,
      RemoteTemplate template,
      RemoteFailurePolicy policy,
      Ticker ticker) {
    this.caller = requireNonNull(caller, "caller");
    this.encoder = requireNonNull(encoder, "encoder");
    this.method = BytesMarshaller.method(template.fullMethodName());
    this.answerType = RemoteCheck.outputType(template);
    this.quotas = RemoteCheck.field(answerType, "quotas");
    PrefetchOptions options =
        PrefetchOptions.defaults()
            .withFailurePolicy(
                policy == RemoteFailurePolicy.FAIL_OPEN
                    ? FailurePolicy.FAIL_OPEN
                    : FailurePolicy.FAIL_CLOSE)
            // the call's deadline settles it first; the pool's own timeout is a backstop
            .withResponseTimeout(caller.timeout.multipliedBy(2));
    this.keys =
        Caffeine.newBuilder()
            .ticker(ticker::nanoTime)
            .executor(Runnable::run)
            .maximumSize(MAX_POOLS)
            .expireAfterAccess(POOL_IDLE)
            .build();
    this.pools =
        new QuotaPools<>(
            key ->
                new QuotaBackend() {
                  @Override
                  public CompletableFuture<QuotaResult> allocate(long amount) {
                    return fetch(key, amount);
                  }

                  @Override
                  public boolean healthy() {
                    return caller.breaker.state() == CircuitBreaker.State.CLOSED;
                  }
                },
            ticker,
            options,
            MAX_POOLS,
            POOL_IDLE);
  }

  QuotaResult allocate(Instance instance, QuotaArgs args) {
    Key key;
    try {
      key = new Key(encoder.instances().encode(instance), instance.name());
    } catch (RuntimeException e) {
      return new QuotaResult(
          PolicyStatus.of(StatusCode.INTERNAL, "quota instance " + instance.name() + " does not encode"),
          0,
          Duration.ZERO);
    }
    Key live = keys.get(key, k -> k);
    if (pools.check(live, args.amount())) {
      return QuotaResult.granted(args.amount(), Duration.ofNanos(live.validityNanos));
    }
    if (live.failing) {
      return new QuotaResult(
          PolicyStatus.of(StatusCode.UNAVAILABLE, UNAVAILABLE_MESSAGE), 0, Duration.ZERO);
    }
    if (!live.exhausted) {
      // Denied while a prefetch is unanswered (FAIL_CLOSE) and the adapter's last word on this
      // pool was a full grant, or it never answered: no limit was reached, and the adapter may be
      // down without it being known yet (a call to a killed adapter fails only once the
      // connection's loss is seen). RESOURCE_EXHAUSTED is the adapter's word only.
      return new QuotaResult(
          PolicyStatus.of(StatusCode.UNAVAILABLE, UNANSWERED_MESSAGE), 0, Duration.ZERO);
    }
    return new QuotaResult(
        PolicyStatus.of(StatusCode.RESOURCE_EXHAUSTED, "quota " + instance.name() + " exhausted"),
        0,
        Duration.ZERO);
  }

  private CompletableFuture<QuotaResult> fetch(Key key, long amount) {
    if (!caller.breaker.tryAcquire()) {
      caller.stats.refused(CallOutcome.CIRCUIT_OPEN);
      key.failing = true;
      return CompletableFuture.failedFuture(new IllegalStateException("circuit open"));
    }
    byte[] request = encoder.quota(key.bytes, caller.nextDedupId(), key.name, amount, false);
    return caller
        .call(method, request)
        .handle(
            (answer, error) -> {
              QuotaResult r = error == null ? parse(key, answer) : null;
              if (r == null) {
                key.failing = true;
                throw new IllegalStateException("quota call failed", error);
              }
              key.failing = !(r.status().isOk() || r.status().code() == StatusCode.RESOURCE_EXHAUSTED);
              if (!key.failing) {
                key.exhausted = r.granted() < amount || !r.status().isOk();
              }
              return r;
            });
  }

  private @Nullable QuotaResult parse(Key key, byte[] bytes) {
    Message m;
    try {
      m = DynamicMessage.parseFrom(answerType, bytes);
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
    for (Object o : (java.util.List<?>) m.getField(quotas)) {
      Message entry = (Message) o;
      Descriptor et = entry.getDescriptorForType();
      if (!key.name.equals(entry.getField(et.findFieldByName("key")))) {
        continue;
      }
      Message result = (Message) entry.getField(et.findFieldByName("value"));
      Map<String, FieldDescriptor> f = fields(result.getDescriptorForType());
      long granted = Math.max(0, ((Number) result.getField(f.get("granted_amount"))).longValue());
      Duration valid = Duration.ZERO;
      FieldDescriptor vd = f.get("valid_duration");
      if (vd != null && result.hasField(vd)) {
        Message d = (Message) result.getField(vd);
        Descriptor t = d.getDescriptorForType();
        valid =
            Duration.ofSeconds(
                ((Number) d.getField(t.findFieldByName("seconds"))).longValue(),
                ((Number) d.getField(t.findFieldByName("nanos"))).intValue());
      }
      if (valid.isZero() || valid.isNegative()) {
        valid = Duration.ofSeconds(DEFAULT_VALIDITY_SECONDS);
      }
      key.validityNanos = valid.toNanos();
      PolicyStatus status = PolicyStatus.OK;
      FieldDescriptor st = f.get("status");
      if (st != null && result.hasField(st)) {
        Message s = (Message) result.getField(st);
        Descriptor t = s.getDescriptorForType();
        int code = ((Number) s.getField(t.findFieldByName("code"))).intValue();
        status = PolicyStatus.of(StatusCode.forNumber(code), (String) s.getField(t.findFieldByName("message")));
      }
      return new QuotaResult(status, granted, valid);
    }
    return null; // no result for this instance: a failure
  }

  private static Map<String, FieldDescriptor> fields(Descriptor d) {
    java.util.HashMap<String, FieldDescriptor> m = new java.util.HashMap<>();
    d.getFields().forEach(f -> m.put(f.getName(), f));
    return m;
  }

  long pools() {
    return pools.size();
  }

  QuotaPoolStats poolStats() {
    return pools.stats();
  }

  long prefetchesInFlight() {
    return pools.inFlight();
  }

  /**
   * A pool's key: the encoded instance (name and dimensions); the instance kept in {@link #keys}
   * (the one its pool's backend was made with) also holds the pool's last answer: its validity,
   * whether the adapter is failing. Equal by bytes.
   */
  private static final class Key {
    final byte[] bytes;
    final String name;
    final int hash;
    volatile long validityNanos = Duration.ofSeconds(DEFAULT_VALIDITY_SECONDS).toNanos();
    volatile boolean failing;
    /**
     * Whether the adapter's last answer for this pool granted less than asked or said
     * RESOURCE_EXHAUSTED: only then is a denial RESOURCE_EXHAUSTED.
     */
    volatile boolean exhausted;

    Key(byte[] bytes, String name) {
      this.bytes = bytes;
      this.name = name;
      this.hash = Arrays.hashCode(bytes);
    }

    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof Key k && k.hash == hash && Arrays.equals(k.bytes, bytes);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
