package dev.offpath.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.testing.MixerReference;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The {@code offpath} command line, run in-process with captured output. */
class CliTest {

  @TempDir Path dir;

  record Result(int exit, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        new CommandLine(new Main())
            .setOut(new PrintWriter(out))
            .setErr(new PrintWriter(err))
            .execute(args);
    return new Result(exit, out.toString(), err.toString());
  }

  @Test
  void validateAcceptsTheExamplesAndIstioSamples() {
    Result r =
        run(
            "validate",
            "../envoy-config/examples",
            MixerReference.file("samples/mixer-rule-deny-label.yaml").toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("valid: ");
  }

  @Test
  void validateAcceptsIstioDefaultConfigsWithWarnings() {
    Result r = run("validate", MixerReference.file("istio-1.0-mixer-config.yaml").toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("warning:").contains("kubernetesenv");
  }

  @Test
  void validateReportsEveryErrorAsFileLineMessageAndExitsOne() throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(
        bad,
        """
        apiVersion: config.istio.io/v1alpha2
        kind: rule
        metadata: {name: r, namespace: istio-system}
        spec:
          match: request.path ==
          actions:
          - handler: nowhere.denier
            instances: [nothing.checknothing]
        """);
    Result r = run("validate", bad.toString());
    assertThat(r.exit()).isEqualTo(1);
    List<String> lines = r.err().lines().toList();
    assertThat(lines).last().isEqualTo("invalid: " + (lines.size() - 1) + " error(s)");
    assertThat(lines.subList(0, lines.size() - 1)).allMatch(l -> l.startsWith(bad + ":"));
    assertThat(r.err()).contains(bad + ":5: ");
  }

  @Test
  void evalPrintsTheValueAsJsonOrTheError() throws Exception {
    Path attrs = dir.resolve("attrs.json");
    Files.writeString(
        attrs,
        """
        {"request.headers": {"x-user": "alice"}, "source.ip": "10.1.2.3",
         "request.time": "2026-01-02T03:04:05Z", "response.duration": "1.5s", "request.size": 10}
        """);
    Result user = run("eval", "--attrs", attrs.toString(), "request.headers[\"x-user\"] | \"anon\"");
    assertThat(user.exit()).isZero();
    assertThat(user.out().trim()).isEqualTo("\"alice\"");
    assertThat(run("eval", "--attrs", attrs.toString(), "source.ip == ip(\"10.1.2.3\")").out().trim())
        .isEqualTo("true");
    assertThat(run("eval", "--attrs", attrs.toString(), "request.size + 5").out().trim())
        .isEqualTo("15");
    assertThat(run("eval", "--attrs", attrs.toString(), "response.duration").out().trim())
        .isEqualTo("\"1.5s\"");

    Result missing = run("eval", "--attrs", attrs.toString(), "request.method");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err()).contains("lookup failed: 'request.method'");
    Result typeError = run("eval", "--attrs", attrs.toString(), "request.size == \"x\"");
    assertThat(typeError.exit()).isEqualTo(1);
    assertThat(typeError.err()).isNotBlank();
  }

  @Test
  void evalCasesPrintsOneJsonLinePerCase() throws Exception {
    Path cases = dir.resolve("cases.json");
    Files.writeString(
        cases,
        """
        [{"name": "ok", "expr": "request.size > 3", "attrs": {"request.size": 4}},
         {"name": "absent", "expr": "request.size > 3", "attrs": {}},
         {"name": "bad attrs", "expr": "true", "attrs": {"request.size": "four"}}]
        """);
    Result r = run("eval", "--cases", cases.toString());
    assertThat(r.exit()).isZero();
    assertThat(r.out().lines())
        .containsExactly(
            "{\"name\":\"ok\",\"value\":true}",
            "{\"name\":\"absent\",\"error\":\"lookup failed: 'request.size'\"}",
            r.out().lines().toList().get(2));
    assertThat(r.out().lines().toList().get(2)).startsWith("{\"name\":\"bad attrs\",\"error\":\"attributes: ");
  }

  @Test
  @SuppressWarnings("try") // ServerHarness.close() may be interrupted
  void checkSendsARealRequestAndPrintsTheDecision() throws Exception {
    try (ServerHarness h =
        ServerHarness.start(List.of(ExtAuthzEndToEndTest.EXAMPLES.resolve("deny.yaml")))) {
      String server = "127.0.0.1:" + h.server.grpcPort();
      Result allowed = run("check", "--server", server, "--attr", "request.path=/shop");
      assertThat(allowed.exit()).as(allowed.err()).isZero();
      assertThat(allowed.out()).startsWith("ALLOW");
      Result denied = run("check", "--server", server, "--attr", "request.path=/admin");
      assertThat(denied.exit()).isEqualTo(CheckCommand.DENIED);
      assertThat(denied.out())
          .startsWith("DENY PERMISSION_DENIED (HTTP 403): denyadmin.handler.istio-system:admin area is internal only")
          .contains("offpath.rule: denyadmin.rule.istio-system");
      Result badAttr = run("check", "--server", server, "--attr", "source.port=http");
      assertThat(badAttr.exit()).isEqualTo(2);
      assertThat(badAttr.err()).contains("source.port: 'http'");
    }
    Result down = run("check", "--server", "127.0.0.1:1", "--timeout", "2", "--attr", "request.path=/");
    assertThat(down.exit()).isEqualTo(1);
    assertThat(down.err()).contains("UNAVAILABLE");
  }
}
