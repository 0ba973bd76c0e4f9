package dev.offpath.extauthz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.Vocabulary;
import dev.offpath.core.runtime.Decider;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.NotReadyException;
import dev.offpath.core.runtime.Outcome;
import dev.offpath.core.runtime.PendingDecision;
import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.adapter.StatusCode;
import com.google.common.util.concurrent.ListenableFuture;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import dev.offpath.envoy.attributes.RequestLimits;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How the front door answers when the decider cannot decide, through a real in-process server:
 * "no config yet" is UNAVAILABLE (Envoy's {@code failure_mode_allow} may then let the request
 * through), and anything else is a bug, INTERNAL, with no internals in the status message.
 */
class AuthorizationServiceTest {

  private Server server;
  private ManagedChannel channel;

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  private void serve(Decider decider) throws IOException {
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(new AuthorizationService(decider, RequestLimits.DEFAULT))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  private Status call(Supplier<RuntimeException> failure) throws Exception {
    Decider decider =
        new Decider() {
          @Override
          public Outcome decide(Attributes attributes) {
            throw failure.get();
          }

          @Override
          public AttributeManifest manifest() {
            return AttributeManifest.of(Vocabulary.builtin().all());
          }
        };
    serve(decider);
    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () ->
                AuthorizationGrpc.newBlockingStub(channel)
                    .check(CheckRequests.fromAttributes(Map.of("request.path", "/"))));
    return e.getStatus();
  }

  @Test
  void noConfigYetIsUnavailable() throws Exception {
    Status status = call(NotReadyException::new);
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(status.getDescription()).isEqualTo("no config loaded yet");
  }

  @Test
  void aBugShapedIllegalStateExceptionIsInternalNotUnavailable() throws Exception {
    Status status = call(() -> new IllegalStateException("secret internals at /etc/x"));
    assertThat(status.getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(status.getDescription()).isEqualTo("check failed");
  }

  /**
   * A decision that waits for an out-of-process adapter: the service returns without answering,
   * and the answer goes out from the thread that completes the decision.
   */
  @Test
  void aPendingDecisionIsAnsweredWhenItCompletesOnAnotherThread() throws Exception {
    CompletableFuture<Decision> later = new CompletableFuture<>();
    CountDownLatch asked = new CountDownLatch(1);
    serve(
        new Decider() {
          @Override
          public Outcome decide(Attributes attributes) {
            asked.countDown();
            return new PendingDecision(later);
          }

          @Override
          public AttributeManifest manifest() {
            return AttributeManifest.of(Vocabulary.builtin().all());
          }
        });
    ListenableFuture<CheckResponse> response =
        AuthorizationGrpc.newFutureStub(channel)
            .check(CheckRequests.fromAttributes(Map.of("request.path", "/")));
    assertThat(asked.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(response.isDone()).isFalse();

    Thread adapter =
        new Thread(
            () ->
                later.complete(
                    new Decision(
                        PolicyStatus.of(StatusCode.PERMISSION_DENIED, "h:not on the list"),
                        Duration.ZERO,
                        0,
                        "r",
                        "h",
                        false,
                        false,
                        List.of(),
                        List.of())),
            "adapter-answer");
    adapter.start();
    CheckResponse r = response.get(10, TimeUnit.SECONDS);
    assertThat(r.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED.value());
    assertThat(r.getDeniedResponse().getBody()).contains("not on the list");
    adapter.join();
  }
}
