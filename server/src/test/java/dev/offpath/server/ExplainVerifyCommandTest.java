package dev.offpath.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.offpath.server.CliTest.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code offpath explain} and {@code offpath verify} through the real command line. */
class ExplainVerifyCommandTest {

  @TempDir Path dir;

  private static String policy() throws Exception {
    return DecisionLogEndToEndTest.policy().toString();
  }

  private Path write(String name, String text) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  @Test
  void explainShowsEveryRuleTheFailingSubExpressionHandlersAndReads() throws Exception {
    Path attrs =
        write("a.json", "{\"request.url_path\": \"/admin/users\", \"request.headers\": {\"x-user\": \"bob\"}}");

    Result r = CliTest.run("explain", "--config", policy(), "--attrs", attrs.toString());

    assertThat(r.exit()).as(r.err()).isEqualTo(3);
    assertThat(r.out())
        .contains(
            "decision: DENIED PERMISSION_DENIED (HTTP 403) by rule denyadmin.rule.istio-system,"
                + " handler denyadmin.handler.istio-system")
        .contains("check cache: cached for PT10S, 1000 uses")
        .contains("1. denyadmin.rule.istio-system: matched")
        .contains(
            "check nothing.instance.istio-system → denyadmin.handler.istio-system: PERMISSION_DENIED"
                + " \"admin area is internal only\", valid PT10S / 1000 uses")
        .contains("2. closebeta.rule.istio-system [dry-run]: not matched")
        .contains("failed: request.url_path.startsWith(\"/beta\") is false")
        .contains("3. bobquota.rule.istio-system: matched")
        .contains("4. userquota.rule.istio-system [dry-run]: matched")
        .contains("request.headers[x-user] = \"bob\"")
        .contains("request.headers[x-internal] = (absent)")
        .contains("request.url_path = \"/admin/users\"");
    // the denied request never reaches the quota phase
    assertThat(r.out()).doesNotContain("quota requestcount");
  }

  @Test
  void explainBlamesTheFailingConjunctAndShowsQuotaAnswersAsJson() throws Exception {
    Path attrs = write("a.json", "{\"request.url_path\": \"/shop\", \"request.headers\": {\"x-user\": \"bob\"}}");

    Result r = CliTest.run("explain", "--config", policy(), "--attrs", attrs.toString(), "--json");

    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode x = new ObjectMapper().readTree(r.out());
    assertThat(x.at("/decision/allowed").asBoolean()).isTrue();
    assertThat(x.at("/rules/0/matched").asBoolean()).isFalse();
    assertThat(x.at("/rules/0/failed/expression").asText())
        .isEqualTo("request.url_path.startsWith(\"/admin\")");
    JsonNode quota = x.at("/rules/2/handlers/0");
    assertThat(quota.get("phase").asText()).isEqualTo("quota");
    assertThat(quota.get("granted").asLong()).isEqualTo(1);
    assertThat(quota.at("/fields/dimensions.user").asText()).isEqualTo("bob");
    assertThat(x.at("/rules/3/dryRun").asBoolean()).isTrue();
    assertThat(x.at("/attributes/request.url_path").asText()).isEqualTo("/shop");
  }

  @Test
  void explainMapsACheckRequestAsTheServerDoes() throws Exception {
    Path request =
        write(
            "r.json",
            """
            {"attributes": {"request": {"http": {"method": "GET", "path": "/beta/x?y=1",
              "headers": {"x-user": "carol"}}}}}
            """);

    Result r = CliTest.run("explain", "--config", policy(), "--request", request.toString());

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("decision: ALLOWED OK (HTTP 200)")
        .contains(
            "dry-run denial (not enforced): rule closebeta.rule.istio-system, handler"
                + " denybeta.handler.istio-system: PERMISSION_DENIED")
        .contains("request.url_path = \"/beta/x\"");

    Path bad = write("bad.json", "{\"attributes\": {\"nope\": 1}}");
    Result invalid = CliTest.run("explain", "--config", policy(), "--request", bad.toString());
    assertThat(invalid.exit()).isEqualTo(1);
    assertThat(invalid.err()).contains("not a CheckRequest");
  }

  @Test
  void verifyPrintsATableAndFailsOnAMismatch() throws Exception {
    Path cases =
        write(
            "cases.yaml",
            """
            - name: admin is denied
              attrs: {request.url_path: /admin, request.headers: {x-user: bob}}
              expect: {allowed: false, status: PERMISSION_DENIED}
            - name: beta is only dry-run
              request:
                attributes: {request: {http: {path: /beta/1, headers: {x-user: carol}}}}
              expect: {allowed: true, status: OK}
            - name: wrong on purpose
              attrs: {request.url_path: /shop, request.headers: {x-user: dave}}
              expect: {allowed: false}
            """);

    Result r = CliTest.run("verify", "--config", policy(), cases.toString());

    assertThat(r.exit()).as(r.err()).isEqualTo(1);
    assertThat(r.out())
        .containsPattern("PASS +admin is denied +false +PERMISSION_DENIED")
        .containsPattern("PASS +beta is only dry-run +true +OK")
        .containsPattern("FAIL +wrong on purpose +true +OK +.*cases.yaml:8: allowed: true \\(expected: false\\)")
        .contains("3 case(s), 2 passed, 1 failed");
  }

  @Test
  void verifyPassesAndChecksHeaders() throws Exception {
    Path config =
        write(
            "headers.yaml",
            """
            apiVersion: config.istio.io/v1alpha2
            kind: rule
            metadata: {name: headers, namespace: default}
            spec:
              requestHeaderOperations:
              - name: x-user-id
                values: ['"user-" + (request.headers["x-user"] | "none")']
            """);
    Path cases =
        write(
            "cases.yaml",
            """
            - name: alice gets her id
              attrs: {request.headers: {x-user: alice}}
              expect: {allowed: true, headers: {x-user-id: user-alice}}
            """);

    Result r = CliTest.run("verify", "--config", config.toString(), cases.toString());

    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("1 case(s), 1 passed, 0 failed");

    Path wrong =
        write(
            "wrong.yaml",
            """
            - name: alice gets bob's id
              attrs: {request.headers: {x-user: alice}}
              expect: {headers: {x-user-id: user-bob}}
            """);
    Result w = CliTest.run("verify", "--config", config.toString(), wrong.toString());
    assertThat(w.exit()).isEqualTo(1);
    assertThat(w.out()).contains("header x-user-id: [user-alice] (expected: user-bob)");
  }

  @Test
  void malformedCaseFilesAreReportedWithFileAndLineAndNothingRuns() throws Exception {
    Path cases =
        write(
            "bad.yaml",
            """
            - name: fine
              attrs: {request.url_path: /}
              expect: {allowed: true}
            - name: typo
              attrs: {request.url_path: /}
              expect: {allowed: true, status: DENIED}
            """);
    Path both =
        write(
            "both.yaml",
            """
            - name: both inputs
              attrs: {}
              request: {}
              expect: {allowed: true}
            """);
    Path unknown = write("unknown.yaml", "- name: x\n  atrs: {}\n  expect: {allowed: true}\n");

    Result r =
        CliTest.run("verify", "--config", policy(), cases.toString(), both.toString(), unknown.toString());

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .contains(
            cases
                + ":6: case 'typo': expect.status: 'DENIED' (expected: a gRPC code name such as OK,"
                + " PERMISSION_DENIED, RESOURCE_EXHAUSTED)")
        .contains(both + ":1: case 'both inputs': expected exactly one of attrs, request")
        .contains(unknown + ":2: unknown key 'atrs' (expected: name, attrs, request, expect)")
        .contains("3 malformed case file(s); nothing run");
  }
}
