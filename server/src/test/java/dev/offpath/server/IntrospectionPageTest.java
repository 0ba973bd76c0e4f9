package dev.offpath.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The introspection page through a real headless Chromium against a real Offpath: Checks sent
 * through real gRPC show up as rule hits (cache hits included), handler dispatches and cache
 * counters, first server-rendered, then updated in place by the page's script from {@code
 * /debug/stats.json} while the page stays open; the charts get samples; nothing is loaded from
 * anywhere but the admin port. The screenshot is kept in {@code target/introspection/}.
 */
class IntrospectionPageTest {

  private static final Path EXAMPLES = Path.of("..", "envoy-config", "examples");
  private static final Path SCREENSHOTS = Path.of("target", "introspection");
  private static final String DENY = "denyadmin.rule.istio-system";
  private static final String QUOTA = "quotaperuser.rule.istio-system";

  private ServerHarness harness;
  private Chromium chromium;

  @BeforeEach
  void start() throws Exception {
    harness = ServerHarness.start(List.of(EXAMPLES.resolve("deny.yaml"), EXAMPLES.resolve("quota.yaml")));
    chromium = Chromium.start(1280, 1600);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (chromium != null) {
        chromium.close();
      }
    } finally {
      harness.close();
    }
  }

  private String page() {
    return "http://127.0.0.1:" + harness.server.adminPort() + "/";
  }

  private void sendChecks(int allowed, int denied) {
    for (int i = 0; i < allowed; i++) {
      assertThat(harness.check("request.path", "/shop", "request.headers[x-user]", "alice").getStatus().getCode())
          .isZero();
    }
    for (int i = 0; i < denied; i++) {
      assertThat(harness.check("request.path", "/admin/users", "request.headers[x-user]", "alice").getStatus().getCode())
          .isEqualTo(io.grpc.Status.Code.PERMISSION_DENIED.value());
    }
  }

  private Map<String, String> ruleHits() throws Exception {
    JsonNode hits =
        chromium.evaluate(
            "Object.fromEntries([...document.querySelectorAll('tr[data-rule]')]"
                + ".map(r => [r.dataset.rule, r.querySelector('.hits').textContent]))");
    return new com.fasterxml.jackson.databind.ObjectMapper().convertValue(hits, new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() {});
  }

  @Test
  void pageShowsRulesHandlersAndCacheAndUpdatesThemLiveAfterChecks() throws Exception {
    sendChecks(5, 3);

    chromium.navigate(page());
    // The script ran and fetched /debug/stats.json at least once.
    chromium.waitFor("Number(document.body.dataset.updates || 0) >= 1", Duration.ofSeconds(30));
    assertThat(chromium.evaluate("document.getElementById('live-status').dataset.state").asText()).isEqualTo("live");
    // Every rule of the config, with its hits: 8 Checks matched quotaperuser (always) and 3 denyadmin,
    // of which all but the first of each kind came from the check cache.
    assertThat(ruleHits()).containsExactly(Map.entry(DENY, "3"), Map.entry(QUOTA, "8"));
    assertThat(chromium.evaluate("document.querySelector('[data-field=\"cache.hits\"]').textContent").asText())
        .isEqualTo("6");
    // Handlers: the denier answered the two misses that reached it... once (the second /admin Check
    // was a cache hit); memquota is never cached, so it was dispatched for each allowed Check.
    assertThat(handlerCell("denyadmin.handler.istio-system", "dispatches")).isEqualTo("1");
    assertThat(handlerCell("peruser.handler.istio-system", "dispatches")).isEqualTo("5");
    assertThat(handlerCell("peruser.handler.istio-system", "errors")).isEqualTo("0");
    assertThat(chromium.evaluate("document.querySelector('#config-files').textContent").asText())
        .contains("deny.yaml")
        .contains("quota.yaml");
    assertThat(chromium.evaluate("document.querySelector('[data-field=\"config.lastLoad.result\"]').textContent").asText())
        .isEqualTo("accepted");

    // The page stays open; more Checks move the counts in place, without a reload.
    chromium.evaluate("window.offpathMarker = 'same page'");
    sendChecks(2, 4);
    chromium.waitUntil(
        "document.querySelector('tr[data-rule=\"" + DENY + "\"] .hits').textContent",
        v -> v.asText().equals("7"),
        Duration.ofSeconds(30));
    assertThat(ruleHits()).containsExactly(Map.entry(DENY, "7"), Map.entry(QUOTA, "14"));
    assertThat(handlerCell("peruser.handler.istio-system", "dispatches")).isEqualTo("7");
    assertThat(chromium.evaluate("window.offpathMarker").asText()).isEqualTo("same page");

    // The charts have live samples: the series' latest values are numbers, not the placeholder.
    chromium.waitUntil(
        "document.querySelector('[data-latest=checks]').textContent",
        v -> !v.asText().equals("–"),
        Duration.ofSeconds(30));
    JsonNode stats = new com.fasterxml.jackson.databind.ObjectMapper().readTree(harness.admin("/debug/stats.json").body());
    double checks = 0;
    double denials = 0;
    for (JsonNode s : stats.path("series")) {
      checks += s.path("checks").asDouble();
      denials += s.path("denials").asDouble();
    }
    // Rates per second over (about) one-second samples: the 14 Checks and 7 denials sent show up,
    // give or take a sampler delayed on a busy machine.
    assertThat(checks).isGreaterThan(0).isLessThanOrEqualTo(28);
    assertThat(denials).isGreaterThan(0).isLessThanOrEqualTo(14).isLessThanOrEqualTo(checks);

    // Self-contained: every resource the page loaded came from the admin port.
    JsonNode resources =
        chromium.evaluate("performance.getEntriesByType('resource').map(e => e.name)");
    assertThat(resources).isNotEmpty();
    resources.forEach(r -> assertThat(r.asText()).startsWith("http://127.0.0.1:" + harness.server.adminPort() + "/"));

    chromium.screenshot(SCREENSHOTS.resolve("introspection-page.png"));
  }

  private String handlerCell(String handler, String cell) throws Exception {
    return chromium
        .evaluate("document.querySelector('tr[data-handler=\"" + handler + "\"] ." + cell + "').textContent")
        .asText();
  }

  @Test
  void staticPartsReadWithoutJavaScript() throws Exception {
    sendChecks(2, 1);
    HttpResponse<String> html = harness.admin("/");
    assertThat(html.statusCode()).isEqualTo(200);
    assertThat(html.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");

    chromium.call("Emulation.setScriptExecutionDisabled", Map.of("value", true));
    chromium.navigate(page());
    assertThat(ruleHits()).containsExactly(Map.entry(DENY, "1"), Map.entry(QUOTA, "3"));
    assertThat(chromium.evaluate("document.getElementById('live-status').dataset.state").asText())
        .isEqualTo("static");
    assertThat(chromium.evaluate("document.body.dataset.updates === undefined").asBoolean()).isTrue();
    assertThat(chromium.evaluate("document.querySelector('[data-field=\"cache.misses\"]').textContent").asText())
        .isEqualTo("2");
    chromium.screenshot(SCREENSHOTS.resolve("introspection-page-no-js.png"));
  }
}
