package dev.offpath.extproc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Plays Envoy on one ext_proc stream through a real stub: sends parts, takes answers in order, and
 * sees how the server ended the stream. Every wait is bounded.
 */
final class ProcessingClient implements StreamObserver<ProcessingResponse> {

  private final LinkedBlockingQueue<ProcessingResponse> answers = new LinkedBlockingQueue<>();
  private final CompletableFuture<Status> end = new CompletableFuture<>();
  private final StreamObserver<ProcessingRequest> requests;

  ProcessingClient(Channel channel) {
    requests = ExternalProcessorGrpc.newStub(channel).process(this);
  }

  /** Header pairs; values alternate between {@code value} and {@code raw_value} as Envoy sends both. */
  static HeaderMap headers(String... nameValues) {
    HeaderMap.Builder map = HeaderMap.newBuilder();
    for (int i = 0; i < nameValues.length; i += 2) {
      HeaderValue.Builder hv = HeaderValue.newBuilder().setKey(nameValues[i]);
      if ((i / 2) % 2 == 0) {
        hv.setRawValue(ByteString.copyFromUtf8(nameValues[i + 1]));
      } else {
        hv.setValue(nameValues[i + 1]);
      }
      map.addHeaders(hv);
    }
    return map.build();
  }

  static ProcessingRequest requestHeaders(String... nameValues) {
    return ProcessingRequest.newBuilder()
        .setRequestHeaders(HttpHeaders.newBuilder().setHeaders(headers(nameValues)))
        .build();
  }

  static ProcessingRequest responseHeaders(String... nameValues) {
    return ProcessingRequest.newBuilder()
        .setResponseHeaders(HttpHeaders.newBuilder().setHeaders(headers(nameValues)))
        .build();
  }

  void send(ProcessingRequest request) {
    requests.onNext(request);
  }

  /** Sends {@code request} and returns the server's answer to it. */
  ProcessingResponse exchange(ProcessingRequest request) throws InterruptedException {
    send(request);
    return next();
  }

  ProcessingResponse next() throws InterruptedException {
    ProcessingResponse r = answers.poll(10, TimeUnit.SECONDS);
    assertThat(r).as("an answer within 10 s (stream ended with %s)", end.getNow(null)).isNotNull();
    return r;
  }

  void halfClose() {
    requests.onCompleted();
  }

  void cancel() {
    requests.onError(Status.CANCELLED.asRuntimeException());
  }

  /** How the server ended the stream. */
  Status end() throws Exception {
    return end.get(10, TimeUnit.SECONDS);
  }

  @Nullable ProcessingResponse pending() {
    return answers.poll();
  }

  @Override
  public void onNext(ProcessingResponse value) {
    answers.add(value);
  }

  @Override
  public void onError(Throwable t) {
    end.complete(Status.fromThrowable(t));
  }

  @Override
  public void onCompleted() {
    end.complete(Status.OK);
  }
}
