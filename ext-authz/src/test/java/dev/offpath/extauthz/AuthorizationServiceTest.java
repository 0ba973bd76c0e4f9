package dev.offpath.extauthz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.Vocabulary;
import dev.offpath.core.runtime.Decider;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.NotReadyException;
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

  private Status call(Supplier<RuntimeException> failure) throws Exception {
    Decider decider =
        new Decider() {
          @Override
          public Decision check(Attributes attributes) {
            throw failure.get();
          }

          @Override
          public AttributeManifest manifest() {
            return AttributeManifest.of(Vocabulary.builtin().all());
          }
        };
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(new AuthorizationService(decider, RequestLimits.DEFAULT))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
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
}
