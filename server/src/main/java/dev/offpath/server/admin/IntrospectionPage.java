package dev.offpath.server.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The introspection page ({@code /} on the admin port), ControlZ's role: an HTML page rendered on
 * the server from {@link Introspection#snapshot()}, so every table reads without JavaScript, plus a
 * stylesheet and a script served from the jar ({@code /static/offpath.css}, {@code
 * /static/offpath.js}; no CDN, works offline). The script polls {@code /debug/stats.json} every
 * second, draws the live charts (Checks/s, denials/s, Check p99, report entries/s) on canvases and
 * updates every element that carries a {@code data-field} (a path into the JSON tree) or a
 * rule/handler key.
 *
 * <p>Every value from the config (rule names, match expressions, errors) is HTML-escaped.
 */
public final class IntrospectionPage {

  static final String CSS_PATH = "/static/offpath.css";
  static final String JS_PATH = "/static/offpath.js";

  /** The server's own facts ({@link Introspection.Parts#process()}) shown, with their labels. */
  private static final Map<String, String> PROCESS_FACTS =
      orderedMap(
          "grpcAddress", "gRPC address",
          "grpcTransport", "gRPC transport",
          "adminAddress", "Admin address",
          "reportWorkers", "Report workers",
          "tracing", "Tracing");

  private final Introspection introspection;

  private static Map<String, String> orderedMap(String... pairs) {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return java.util.Collections.unmodifiableMap(m);
  }

  public IntrospectionPage(Introspection introspection) {
    this.introspection = requireNonNull(introspection, "introspection");
  }

  /** Registers {@code /}, {@code /debug/stats.json} and the static files on {@code admin}. */
  public AdminServer.Builder register(AdminServer.Builder admin) {
    String css = resource("offpath.css");
    String js = resource("offpath.js");
    return admin
        .page("/", "text/html; charset=utf-8", this::render)
        .page("/debug/stats.json", "application/json", introspection::json)
        .page(CSS_PATH, "text/css; charset=utf-8", () -> css)
        .page(JS_PATH, "text/javascript; charset=utf-8", () -> js);
  }

  static String resource(String name) {
    try (InputStream in = IntrospectionPage.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("resource missing from the jar: " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The page for the current state. */
  public String render() {
    return render(introspection.snapshot());
  }

  static String render(ObjectNode s) {
    JsonNode p = s.path("process");
    JsonNode c = s.path("config");
    StringBuilder h = new StringBuilder(16 * 1024);
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<title>Offpath ").append(esc(p.path("version").asText())).append("</title>")
        .append("<link rel=\"stylesheet\" href=\"").append(CSS_PATH).append("\">")
        .append("<script defer src=\"").append(JS_PATH).append("\"></script>")
        .append("<noscript><style>canvas { display: none; }</style></noscript></head>\n<body>\n");
    h.append("<header><h1>Offpath</h1><span class=\"sub\">version ")
        .append(esc(p.path("version").asText())).append(" · pid ").append(p.path("pid").asLong())
        .append(" · <span id=\"live-status\" data-state=\"static\">static page (no live data)</span></span>")
        .append("<nav><a href=\"/metrics\">/metrics</a> <a href=\"/config\">/config</a> ")
        .append("<a href=\"/debug/vars\">/debug/vars</a> <a href=\"/debug/stats.json\">/debug/stats.json</a> ")
        .append("<a href=\"/debug/threads\">/debug/threads</a> <a href=\"/debug/jfr?seconds=10\">/debug/jfr</a></nav></header>\n<main>\n");

    // Live charts.
    h.append("<section id=\"live\"><h2>Live</h2><div class=\"charts\">");
    chart(h, "checks", "Checks/s", "");
    chart(h, "denials", "Denials/s", "");
    chart(h, "p99ms", "Check p99", " ms");
    chart(h, "entries", "Report entries/s", "");
    h.append("</div><noscript><p class=\"note\">Charts need JavaScript; the tables below are current as of")
        .append(" this page load.</p></noscript></section>\n");

    // Process.
    h.append("<section id=\"process\"><h2>Process</h2><table class=\"kv\">");
    kv(h, "Version", "process.version", p.path("version").asText());
    kv(h, "Uptime", "process.uptimeSeconds", duration(p.path("uptimeSeconds").asLong()), "duration");
    kv(h, "Started", "process.startedAt", p.path("startedAt").asText());
    kv(h, "JVM", "process.jvm", p.path("jvm").asText() + " (" + p.path("jvmVendor").asText() + ")");
    kv(h, "GC", "process.gc", p.path("gc").asText());
    kv(h, "Heap used", "process.heapUsedBytes", bytes(p.path("heapUsedBytes").asLong()), "bytes");
    kv(h, "Heap max", "process.heapMaxBytes", bytes(p.path("heapMaxBytes").asLong()), "bytes");
    kv(h, "Threads", "process.threads", p.path("threads").asText());
    kv(h, "Processors", "process.processors", p.path("processors").asText());
    for (Map.Entry<String, String> e : PROCESS_FACTS.entrySet()) {
      if (p.has(e.getKey())) {
        kv(h, e.getValue(), "process." + e.getKey(), p.path(e.getKey()).asText());
      }
    }
    h.append("</table></section>\n");

    // Config.
    JsonNode last = c.path("lastLoad");
    h.append("<section id=\"config\"><h2>Config</h2><table class=\"kv\">");
    kv(h, "Version", "config.version", c.path("version").asText());
    kv(h, "Source", "config.source", c.path("source").asText());
    kv(h, "Last load", "config.lastLoad.result", last.path("result").asText("none"));
    kv(h, "Last load at", "config.lastLoad.time", last.path("time").asText(""));
    kv(h, "Loads accepted / rejected", null,
        c.path("loadsAccepted").asLong() + " / " + c.path("loadsRejected").asLong());
    h.append("</table><h3>Files</h3><ul id=\"config-files\">");
    c.path("files").forEach(f -> h.append("<li><code>").append(esc(f.asText())).append("</code></li>"));
    h.append("</ul>");
    h.append("<h3>Errors of the last load</h3><ul id=\"config-errors\" class=\"errors\">");
    if (last.path("errors").isEmpty()) {
      h.append("<li class=\"none\">none</li>");
    }
    last.path("errors").forEach(e -> h.append("<li><code>").append(esc(e.asText())).append("</code></li>"));
    if (last.path("totalErrors").asInt() > last.path("errors").size()) {
      h.append("<li>… ").append(last.path("totalErrors").asInt() - last.path("errors").size())
          .append(" more</li>");
    }
    h.append("</ul>");
    if (!c.path("warnings").isEmpty()) {
      h.append("<h3>Warnings</h3><ul class=\"warnings\">");
      c.path("warnings").forEach(w -> h.append("<li><code>").append(esc(w.asText())).append("</code></li>"));
      h.append("</ul>");
    }
    h.append("</section>\n");

    // Rules.
    h.append("<section id=\"rules\"><h2>Rules</h2><table class=\"grid\"><thead><tr><th>rule</th>")
        .append("<th>match</th><th>actions</th><th class=\"num\">hits</th></tr></thead><tbody>");
    for (JsonNode r : s.path("rules")) {
      String name = r.path("name").asText();
      h.append("<tr data-rule=\"").append(esc(name)).append("\"><td class=\"name\" title=\"")
          .append(esc(r.path("source").asText())).append("\">").append(esc(name)).append("</td><td>");
      String match = r.path("match").asText();
      if (match.isEmpty()) {
        h.append("<span class=\"none\">always</span>");
      } else {
        h.append("<code>").append(esc(match)).append("</code>");
      }
      h.append("</td><td>");
      r.path("actions").forEach(a -> h.append("<div>").append(esc(a.asText())).append("</div>"));
      h.append("</td><td class=\"num hits\">").append(r.path("hits").asLong()).append("</td></tr>");
    }
    h.append("</tbody></table><p class=\"note\">Hits since this config version went live, including")
        .append(" Checks answered from the check cache.</p></section>\n");

    // Handlers.
    h.append("<section id=\"handlers\"><h2>Handlers</h2><table class=\"grid\"><thead><tr><th>handler</th>")
        .append("<th>adapter</th><th>templates</th><th class=\"num\">dispatches</th><th class=\"num\">errors</th>")
        .append("</tr></thead><tbody>");
    for (JsonNode d : s.path("handlers")) {
      h.append("<tr data-handler=\"").append(esc(d.path("name").asText())).append("\"><td class=\"name\">")
          .append(esc(d.path("name").asText())).append("</td><td>").append(esc(d.path("adapter").asText()))
          .append("</td><td class=\"templates\">").append(esc(d.path("templates").asText()))
          .append("</td><td class=\"num dispatches\">").append(d.path("dispatches").asLong())
          .append("</td><td class=\"num errors\">").append(d.path("errors").asLong()).append("</td></tr>");
    }
    h.append("</tbody></table><p class=\"note\">Dispatches since the process started"
        + " (<code>mixer_runtime_dispatch_count</code>); Checks answered from the cache dispatch nothing.</p></section>\n");

    // Check cache.
    JsonNode k = s.path("cache");
    h.append("<section id=\"cache\"><h2>Check cache</h2><table class=\"kv\">");
    if (!k.path("enabled").asBoolean()) {
      h.append("<tr><td colspan=\"2\">off (<code>--check-cache-size 0</code>)</td></tr>");
    } else {
      kv(h, "Hit ratio", "cache.hitRatio", percent(k.path("hitRatio").asDouble()), "percent");
      kv(h, "Hits", "cache.hits", k.path("hits").asText());
      kv(h, "Misses", "cache.misses", k.path("misses").asText());
      kv(h, "Entries", "cache.entries", k.path("entries").asText());
      kv(h, "Capacity", "cache.capacity", k.path("capacity").asText());
      kv(h, "Shapes", "cache.shapes", k.path("shapes").asText());
      kv(h, "Writes", "cache.writes", k.path("writes").asText());
      kv(h, "Evictions", "cache.evictions", k.path("evictions").asText());
      kv(h, "Shape overflows", "cache.shapeOverflows", k.path("shapeOverflows").asText());
    }
    h.append("</table></section>\n");

    // Quota.
    h.append("<section id=\"quota\"><h2>Quota</h2><table class=\"grid\"><thead><tr><th>handler</th>")
        .append("<th>adapter</th><th class=\"num\">allocations</th><th class=\"num\">errors</th><th>pools</th>")
        .append("</tr></thead><tbody>");
    if (s.path("quota").isEmpty()) {
      h.append("<tr><td colspan=\"5\" class=\"none\">no quota handlers</td></tr>");
    }
    for (JsonNode q : s.path("quota")) {
      h.append("<tr data-quota=\"").append(esc(q.path("handler").asText())).append("\"><td class=\"name\">")
          .append(esc(q.path("handler").asText())).append("</td><td>").append(esc(q.path("adapter").asText()))
          .append("</td><td class=\"num allocations\">").append(q.path("allocations").asLong())
          .append("</td><td class=\"num errors\">").append(q.path("errors").asLong())
          .append("</td><td class=\"metrics\">");
      if (q.path("metrics").isEmpty()) {
        h.append("<span class=\"none\">local counters (no pools)</span>");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = q.path("metrics").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        h.append("<div><code>").append(esc(e.getKey())).append("</code> ")
            .append(number(e.getValue().asDouble())).append("</div>");
      }
      h.append("</td></tr>");
    }
    h.append("</tbody></table></section>\n");

    // Reports.
    JsonNode rp = s.path("reports");
    h.append("<section id=\"reports\"><h2>Report pipeline</h2><table class=\"kv\">");
    kv(h, "Queue depth", "reports.queueDepth", rp.path("queueDepth").asText());
    kv(h, "Queue capacity", "reports.queueCapacity", rp.path("queueCapacity").asText());
    kv(h, "Received", "reports.received", rp.path("received").asText());
    kv(h, "Dispatched", "reports.dispatched", rp.path("dispatched").asText());
    kv(h, "Batches", "reports.batches", rp.path("batches").asText());
    kv(h, "Instance errors", "reports.instanceErrors", rp.path("instanceErrors").asText());
    for (Iterator<Map.Entry<String, JsonNode>> it = rp.path("dropped").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      kv(h, "Dropped: " + e.getKey(), "reports.dropped." + e.getKey(), e.getValue().asText());
    }
    h.append("</table></section>\n</main>\n<footer>Rendered at ")
        .append(esc(p.path("now").asText())).append("</footer>\n</body></html>\n");
    return h.toString();
  }

  private static void chart(StringBuilder h, String series, String title, String unit) {
    h.append("<figure class=\"chart\"><figcaption>").append(title)
        .append(" <span class=\"latest\" data-latest=\"").append(series).append("\" data-unit=\"")
        .append(unit).append("\">–</span></figcaption><canvas data-series=\"").append(series)
        .append("\" width=\"360\" height=\"120\"></canvas></figure>");
  }

  private static void kv(StringBuilder h, String label, @Nullable String field, String value) {
    kv(h, label, field, value, null);
  }

  private static void kv(
      StringBuilder h, String label, @Nullable String field, String value, @Nullable String format) {
    h.append("<tr><th>").append(esc(label)).append("</th><td");
    if (field != null) {
      h.append(" data-field=\"").append(esc(field)).append('"');
    }
    if (format != null) {
      h.append(" data-format=\"").append(format).append('"');
    }
    h.append('>').append(esc(value)).append("</td></tr>");
  }

  static String duration(long seconds) {
    long d = seconds / 86400;
    long hh = seconds % 86400 / 3600;
    long m = seconds % 3600 / 60;
    long sec = seconds % 60;
    return (d > 0 ? d + "d " : "") + (d > 0 || hh > 0 ? hh + "h " : "") + (d > 0 || hh > 0 || m > 0 ? m + "m " : "") + sec + "s";
  }

  static String bytes(long b) {
    if (b < 0) {
      return "unbounded";
    }
    return String.format(java.util.Locale.ROOT, "%.1f MiB", b / (1024.0 * 1024.0));
  }

  static String percent(double ratio) {
    return String.format(java.util.Locale.ROOT, "%.1f%%", ratio * 100);
  }

  static String number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }

  /** Escapes text for HTML element content and double-quoted attributes. */
  static String esc(String s) {
    StringBuilder b = null;
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      String r =
          switch (ch) {
            case '<' -> "&lt;";
            case '>' -> "&gt;";
            case '&' -> "&amp;";
            case '"' -> "&quot;";
            case '\'' -> "&#39;";
            default -> null;
          };
      if (r != null && b == null) {
        b = new StringBuilder(s.length() + 16).append(s, 0, i);
      }
      if (b != null) {
        if (r != null) {
          b.append(r);
        } else {
          b.append(ch);
        }
      }
    }
    return b == null ? s : b.toString();
  }
}
