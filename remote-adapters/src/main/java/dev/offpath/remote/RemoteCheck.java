package dev.offpath.remote;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.remote.RemoteFailurePolicy;
import dev.offpath.core.remote.RemoteTemplate;
import dev.offpath.core.runtime.Decision;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * A check template of a remote handler: {@code Handle<T>} per instance, the adapter's {@code
 * CheckResult} mapped to the core one.
 *
 * <p><b>Answers.</b> {@code status.code} becomes the {@link StatusCode} (its message kept), {@code
 * valid_duration} and {@code valid_use_count} pass through. An all-default answer (OK, no
 * duration, use count 0) is "no opinion": OK with {@link Decision#DEFAULT_VALID_DURATION} and
 * {@link Decision#DEFAULT_VALID_USE_COUNT}, as Mixer read it.
 *
 * <p><b>Sharing.</b> Checks whose instances encode to the same bytes while a call for them is in
 * flight share that call (the check cache in front then keeps the answer for its validity); at
 * most {@value #MAX_IN_FLIGHT} distinct calls are in flight per template, beyond that a check is
 * answered as a failure (OVERLOADED).
 *
 * <p><b>Failures</b> (timeout, no connection, error status, circuit open, overload, an instance
 * that does not encode) follow the handler's {@link RemoteFailurePolicy}: FAIL_CLOSE answers
 * UNAVAILABLE "policy adapter unavailable", valid for nothing (never cached); FAIL_OPEN answers OK
 * valid for {@link #FAIL_OPEN_VALIDITY}. The returned future always completes normally, within
 * the call's deadline.
 *
 * <p>Thread-safe; never blocks.
 */
final class RemoteCheck {

  static final int MAX_IN_FLIGHT = 4096;
  static final Duration FAIL_OPEN_VALIDITY = Duration.ofSeconds(1);
  static final String UNAVAILABLE_MESSAGE = "policy adapter unavailable";
  private static final CheckResult FAILED_OPEN =
      CheckResult.ok(FAIL_OPEN_VALIDITY, Decision.DEFAULT_VALID_USE_COUNT);
  private static final CheckResult FAILED_CLOSED =
      CheckResult.denied(StatusCode.UNAVAILABLE, UNAVAILABLE_MESSAGE, Duration.ZERO, 0);

  private final Caller caller;
  private final RequestEncoder encoder;
  private final io.grpc.MethodDescriptor<byte[], byte[]> method;
  private final RemoteFailurePolicy policy;
  private final Descriptor answerType;
  private final FieldDescriptor status;
  private final FieldDescriptor validDuration;
  private final FieldDescriptor validUseCount;
  private final ConcurrentHashMap<Key, CompletableFuture<CheckResult>> inFlight =
      new ConcurrentHashMap<>();

  RemoteCheck(Caller caller, RequestEncoder encoder, RemoteTemplate template, RemoteFailurePolicy policy) {
    this.caller = requireNonNull(caller, "caller");
    this.encoder = requireNonNull(encoder, "encoder");
    this.method = BytesMarshaller.method(template.fullMethodName());
    this.policy = requireNonNull(policy, "policy");
    this.answerType = outputType(template);
    this.status = field(answerType, "status");
    this.validDuration = field(answerType, "valid_duration");
    this.validUseCount = field(answerType, "valid_use_count");
  }

  /** The output type of the template's method (Mixer's {@code CheckResult}). */
  static Descriptor outputType(RemoteTemplate template) {
    String full = template.fullMethodName();
    int slash = full.indexOf('/');
    for (ServiceDescriptor s : template.request().getFile().getServices()) {
      if (s.getFullName().equals(full.substring(0, slash))) {
        MethodDescriptor m = s.findMethodByName(full.substring(slash + 1));
        if (m != null) {
          return m.getOutputType();
        }
      }
    }
    throw new IllegalArgumentException("template " + template.name() + ": no method " + full);
  }

  static FieldDescriptor field(Descriptor d, String name) {
    FieldDescriptor f = d.findFieldByName(name);
    if (f == null) {
      throw new IllegalArgumentException(d.getFullName() + " has no field " + name);
    }
    return f;
  }

  CompletableFuture<CheckResult> check(Instance instance) {
    byte[] encoded;
    try {
      encoded = encoder.instances().encode(instance);
    } catch (RuntimeException e) {
      caller.stats.refused(CallOutcome.ERROR);
      return CompletableFuture.completedFuture(failure());
    }
    Key key = new Key(encoded);
    CompletableFuture<CheckResult> existing = inFlight.get(key);
    if (existing != null) {
      caller.stats.shared();
      return existing;
    }
    if (inFlight.size() >= MAX_IN_FLIGHT) {
      caller.stats.refused(CallOutcome.OVERLOADED);
      return CompletableFuture.completedFuture(failure());
    }
    CompletableFuture<CheckResult> mine = new CompletableFuture<>();
    existing = inFlight.putIfAbsent(key, mine);
    if (existing != null) {
      caller.stats.shared();
      return existing;
    }
    if (!caller.breaker.tryAcquire()) {
      caller.stats.refused(CallOutcome.CIRCUIT_OPEN);
      inFlight.remove(key, mine);
      mine.complete(failure());
      return mine;
    }
    caller
        .call(method, encoder.check(encoded, caller.nextDedupId()))
        .whenComplete(
            (answer, error) -> {
              inFlight.remove(key, mine);
              mine.complete(error != null ? failure() : answer(answer));
            });
    return mine;
  }

  private CheckResult answer(byte[] bytes) {
    Message m;
    try {
      m = DynamicMessage.parseFrom(answerType, bytes);
    } catch (InvalidProtocolBufferException e) {
      return failure();
    }
    int code = 0;
    String message = "";
    if (m.hasField(status)) {
      Message s = (Message) m.getField(status);
      FieldDescriptor c = s.getDescriptorForType().findFieldByName("code");
      FieldDescriptor msg = s.getDescriptorForType().findFieldByName("message");
      code = c == null ? 0 : ((Number) s.getField(c)).intValue();
      message = msg == null ? "" : (String) s.getField(msg);
    }
    Duration valid = Duration.ZERO;
    if (m.hasField(validDuration)) {
      Message d = (Message) m.getField(validDuration);
      Descriptor t = d.getDescriptorForType();
      valid =
          Duration.ofSeconds(
              ((Number) d.getField(t.findFieldByName("seconds"))).longValue(),
              ((Number) d.getField(t.findFieldByName("nanos"))).intValue());
    }
    int uses = ((Number) m.getField(validUseCount)).intValue();
    if (code == 0 && valid.isZero() && uses == 0) {
      return CheckResult.ok(Decision.DEFAULT_VALID_DURATION, Decision.DEFAULT_VALID_USE_COUNT);
    }
    if (valid.isNegative()) {
      valid = Duration.ZERO;
    }
    return code == 0
        ? CheckResult.ok(valid, uses)
        : CheckResult.denied(StatusCode.forNumber(code), message, valid, uses);
  }

  CheckResult failure() {
    return policy == RemoteFailurePolicy.FAIL_OPEN ? FAILED_OPEN : FAILED_CLOSED;
  }

  /**
   * Whether {@code answer} is a failure policy's answer ({@link #failure}): compared by identity,
   * so an adapter's own UNAVAILABLE is a decision, not a failure.
   */
  static boolean isFailure(CheckResult answer) {
    return answer == FAILED_OPEN || answer == FAILED_CLOSED;
  }

  int inFlight() {
    return inFlight.size();
  }

  /** Encoded instance bytes, compared by content. */
  private static final class Key {
    private final byte[] bytes;
    private final int hash;

    Key(byte[] bytes) {
      this.bytes = bytes;
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
