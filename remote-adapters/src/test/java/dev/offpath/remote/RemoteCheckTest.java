package dev.offpath.remote;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.CircuitBreaker;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.remote.RemoteConnection;
import dev.offpath.core.remote.RemoteFailurePolicy;
import dev.offpath.core.remote.RemoteHandlerConfig;
import dev.offpath.core.remote.RemoteTemplate;
import dev.offpath.core.runtime.Decision;
import io.grpc.Context;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RemoteCheckTest {

  private final RemoteTemplate authorization = Templates.istio("authorization");
  private final ChannelRegistry registry = new ChannelRegistry();
  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
  }

  private TestAdapter adapter(byte[] answer) throws Exception {
    TestAdapter a = new TestAdapter(authorization, m -> answer);
    closing.add(a);
    return a;
  }

  private RemoteHandler handler(TestAdapter a, Duration timeout, RemoteFailurePolicy policy) {
    RemoteHandlerConfig config =
        new RemoteHandlerConfig(
            "kactivator",
            false,
            List.of(authorization),
            new RemoteConnection(a.address(), timeout, null),
            "type.googleapis.com/kactivator.Params",
            ByteString.copyFromUtf8("\n\u0003abc"),
            policy);
    RemoteHandler h = new RemoteHandler(config, new TestEnvironment("kactivator-handler.default"), registry);
    closing.add(h);
    return h;
  }

  @Test
  void aDenialKeepsItsCodeMessageAndValidity_andTheAdapterSeesTheInstance() throws Exception {
    TestAdapter a = adapter(Answers.check(authorization, 7, "scale from zero first", 5, 100));
    RemoteHandler h = handler(a, Duration.ofSeconds(5), RemoteFailurePolicy.FAIL_CLOSE);

    CheckResult r = h.checkAsync(Instances.authorization("alice")).join();

    assertThat(r.status().code()).isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(r.status().message()).isEqualTo("scale from zero first");
    assertThat(r.validDuration()).isEqualTo(Duration.ofSeconds(5));
    assertThat(r.validUseCount()).isEqualTo(100);
    assertThat(h.failed(r)).as("a denial is a decision, not a failed dispatch").isFalse();

    assertThat(a.requests).hasSize(1);
    DynamicMessage request = a.requests.get(0);
    Descriptor type = authorization.request();
    Message instance = (Message) request.getField(type.findFieldByName("instance"));
    assertThat(instance).isEqualTo(Instances.reference(authorization.instance(), Instances.authorization("alice")));
    Message config = (Message) request.getField(type.findFieldByName("adapter_config"));
    Any any = Any.parseFrom(config.toByteString());
    assertThat(any.getTypeUrl()).isEqualTo("type.googleapis.com/kactivator.Params");
    assertThat(any.getValue()).isEqualTo(ByteString.copyFromUtf8("\n\u0003abc"));
    assertThat((String) request.getField(type.findFieldByName("dedup_id"))).isNotEmpty();
  }

  @Test
  void anAllDefaultAnswerIsNoOpinion() throws Exception {
    TestAdapter a = adapter(Answers.check(authorization, 0, "", 0, 0));
    RemoteHandler h = handler(a, Duration.ofSeconds(5), RemoteFailurePolicy.FAIL_CLOSE);

    CheckResult r = h.checkAsync(Instances.authorization("bob")).join();

    assertThat(r).isEqualTo(CheckResult.ok(Decision.DEFAULT_VALID_DURATION, Decision.DEFAULT_VALID_USE_COUNT));
  }

  @Test
  void concurrentIdenticalChecksShareOneCall() throws Exception {
    TestAdapter a = adapter(Answers.check(authorization, 0, "", 10, 1000));
    a.delayMillis = 500;
    RemoteHandler h = handler(a, Duration.ofSeconds(10), RemoteFailurePolicy.FAIL_CLOSE);

    List<CompletableFuture<CheckResult>> futures = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      futures.add(h.checkAsync(Instances.authorization("carol")));
    }
    futures.add(h.checkAsync(Instances.authorization("dave")));
    for (CompletableFuture<CheckResult> f : futures) {
      assertThat(f.join().status().isOk()).isTrue();
    }

    assertThat(a.calls.get()).isEqualTo(2);
    assertThat(h.stats().checksShared()).isEqualTo(49);
  }

  /**
   * A call outlives the gRPC context it was started in: the Check that caused it (ext_authz's
   * server call) may complete or be cancelled first, as a quota prefetch always does.
   */
  @Test
  void aCallIsNotCancelledWithTheContextOfTheRequestThatStartedIt() throws Exception {
    TestAdapter a = adapter(Answers.check(authorization, 0, "", 10, 1000));
    a.delayMillis = 500;
    RemoteHandler h = handler(a, Duration.ofSeconds(10), RemoteFailurePolicy.FAIL_CLOSE);

    Context.CancellableContext request = Context.current().withCancellation();
    CompletableFuture<CheckResult> pending;
    Context previous = request.attach();
    try {
      pending = h.checkAsync(Instances.authorization("frank"));
    } finally {
      request.detach(previous);
    }
    request.cancel(null);

    CheckResult r = pending.join();
    assertThat(r.status().isOk()).as(r.status().message()).isTrue();
    assertThat(h.stats().calls(CallOutcome.OK)).isEqualTo(1);
    assertThat(h.stats().calls(CallOutcome.ERROR)).isZero();
  }

  @Test
  void aTimeoutFollowsTheFailurePolicy() throws Exception {
    TestAdapter a = adapter(Answers.check(authorization, 0, "", 10, 1000));
    a.delayMillis = 3000;
    RemoteHandler closed = handler(a, Duration.ofMillis(200), RemoteFailurePolicy.FAIL_CLOSE);

    CheckResult r = closed.checkAsync(Instances.authorization("erin")).join();

    assertThat(r.status().code()).isEqualTo(StatusCode.UNAVAILABLE);
    assertThat(r.status().message()).isEqualTo(RemoteCheck.UNAVAILABLE_MESSAGE);
    assertThat(r.validDuration()).isZero();
    assertThat(r.validUseCount()).isZero();
    assertThat(closed.failed(r)).as("a failed dispatch").isTrue();
    assertThat(closed.stats().calls(CallOutcome.TIMEOUT)).isEqualTo(1);
  }

  @Test
  void anAdapterDownFailsClosedOrOpen_theBreakerOpens_andCallsResumeWhenItIsBack() throws Exception {
    TestAdapter a = adapter(Answers.check(authorization, 7, "no", 0, 0));
    RemoteHandler closed = handler(a, Duration.ofSeconds(2), RemoteFailurePolicy.FAIL_CLOSE);
    assertThat(closed.checkAsync(Instances.authorization("x")).join().status().code())
        .isEqualTo(StatusCode.PERMISSION_DENIED);
    a.stop();

    for (int i = 0; i < RemoteHandler.BREAKER_FAILURES + 3; i++) {
      CheckResult r = closed.checkAsync(Instances.authorization("u" + i)).join();
      assertThat(r.status().code()).isEqualTo(StatusCode.UNAVAILABLE);
      assertThat(r.validDuration()).isZero();
    }
    assertThat(closed.breakerState()).isNotEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(closed.stats().calls(CallOutcome.UNAVAILABLE)).isEqualTo(RemoteHandler.BREAKER_FAILURES);
    assertThat(closed.stats().calls(CallOutcome.CIRCUIT_OPEN)).isEqualTo(3);

    RemoteHandler open = handler(a, Duration.ofSeconds(2), RemoteFailurePolicy.FAIL_OPEN);
    CheckResult passed = open.checkAsync(Instances.authorization("y")).join();
    assertThat(passed.status().isOk()).isTrue();
    assertThat(passed.validDuration()).isEqualTo(RemoteCheck.FAIL_OPEN_VALIDITY);
    assertThat(open.failed(passed)).as("FAIL_OPEN's pass is a failed dispatch").isTrue();

    a.restart();
    // The breaker lets a probe through after its open duration; wait for it, bounded.
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    StatusCode code = StatusCode.UNAVAILABLE;
    while (code == StatusCode.UNAVAILABLE && System.nanoTime() < deadline) {
      code = closed.checkAsync(Instances.authorization("z" + System.nanoTime())).join().status().code();
      if (code == StatusCode.UNAVAILABLE) {
        Thread.sleep(100);
      }
    }
    assertThat(code).isEqualTo(StatusCode.PERMISSION_DENIED);
    assertThat(closed.breakerState()).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  @Test
  void anInstanceOfAnotherTemplateIsAnInternalError() throws Exception {
    TestAdapter a = adapter(Answers.check(authorization, 0, "", 0, 0));
    RemoteHandler h = handler(a, Duration.ofSeconds(2), RemoteFailurePolicy.FAIL_OPEN);
    CheckResult r = h.checkAsync(new Instance("i", "listentry", java.util.Map.of())).join();
    assertThat(r.status().code()).isEqualTo(StatusCode.INTERNAL);
    assertThat(a.calls.get()).isZero();
  }
}
