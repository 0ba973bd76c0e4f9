package dev.offpath.server;

import dev.offpath.extauthz.CheckRequests;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code offpath check}: sends one real ext_authz CheckRequest, built from attributes as Envoy would
 * send them, and prints the decision. Exit 0 allowed, 3 denied, 1 when the call failed.
 */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = "Send an ext_authz CheckRequest to a running server and print the decision.")
final class CheckCommand implements Callable<Integer> {

  static final int DENIED = 3;

  @Spec CommandSpec spec;

  @Option(names = "--server", required = true, paramLabel = "HOST:PORT", description = "The Offpath gRPC address.")
  String server;

  @Option(
      names = "--attr",
      paramLabel = "NAME=VALUE",
      description = "An attribute, e.g. source.ip=10.0.0.1, request.path=/api, request.headers[x-user]=alice (repeatable).")
  List<String> attrs = List.of();

  @Option(names = "--timeout", defaultValue = "5", description = "Seconds to wait for the answer (default: ${DEFAULT-VALUE}).")
  long timeoutSeconds;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Map<String, String> attributes = new LinkedHashMap<>();
    for (String a : attrs) {
      int eq = a.indexOf('=');
      if (eq <= 0) {
        err.println("offpath check: --attr " + a + " (expected: NAME=VALUE)");
        err.flush();
        return 2;
      }
      attributes.put(a.substring(0, eq), a.substring(eq + 1));
    }
    CheckRequest request;
    try {
      request = CheckRequests.fromAttributes(attributes);
    } catch (IllegalArgumentException e) {
      err.println("offpath check: " + e.getMessage());
      err.flush();
      return 2;
    }
    ManagedChannel channel = NettyChannelBuilder.forTarget(server).usePlaintext().build();
    try {
      CheckResponse response =
          AuthorizationGrpc.newBlockingStub(channel)
              .withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS)
              .check(request);
      return print(response, out);
    } catch (StatusRuntimeException e) {
      err.println("offpath check: call to " + server + " failed: " + e.getStatus());
      err.flush();
      return 1;
    } finally {
      channel.shutdownNow();
    }
  }

  static int print(CheckResponse response, PrintWriter out) {
    if (response.getStatus().getCode() == 0) {
      out.println("ALLOW");
      for (HeaderValueOption h : response.getOkResponse().getHeadersList()) {
        out.printf("  request header %s: %s (%s)%n", h.getHeader().getKey(), h.getHeader().getValue(), h.getAppendAction());
      }
      for (String h : response.getOkResponse().getHeadersToRemoveList()) {
        out.printf("  request header %s removed%n", h);
      }
      for (HeaderValueOption h : response.getOkResponse().getResponseHeadersToAddList()) {
        out.printf("  response header %s: %s (%s)%n", h.getHeader().getKey(), h.getHeader().getValue(), h.getAppendAction());
      }
      out.flush();
      return 0;
    }
    var denied = response.getDeniedResponse();
    out.printf(
        "DENY %s (HTTP %d): %s%n",
        io.grpc.Status.fromCodeValue(response.getStatus().getCode()).getCode(),
        denied.getStatus().getCodeValue(),
        response.getStatus().getMessage());
    response
        .getDynamicMetadata()
        .getFieldsMap()
        .forEach((k, v) -> out.printf("  %s: %s%n", k, v.getStringValue()));
    out.flush();
    return DENIED;
  }
}
