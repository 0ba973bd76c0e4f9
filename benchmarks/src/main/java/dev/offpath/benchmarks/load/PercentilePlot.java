package dev.offpath.benchmarks.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * HdrHistogram percentile plots of a load run as one self-contained HTML page (inline SVG, no
 * scripts, nothing fetched): latency against percentile on the usual log scale of {@code
 * 1/(1-p)}, so the tail (99%, 99.9%, 99.99%) gets as much room as the median. Phases that did
 * not run have no chart.
 */
final class PercentilePlot {

  private static final int WIDTH = 760;
  private static final int HEIGHT = 360;
  private static final int LEFT = 70;
  private static final int RIGHT = 20;
  private static final int TOP = 30;
  private static final int BOTTOM = 50;
  private static final double MAX_X = 5; // 99.999%
  private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e"};

  private PercentilePlot() {}

  record Series(String label, Histogram histogram) {}

  static String html(LoadReport r) {
    StringBuilder out = new StringBuilder();
    out.append(
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Offpath load run</title>
        <style>body{font-family:sans-serif;margin:2em}svg{background:#fff}
        pre{background:#f6f6f6;padding:1em;overflow-x:auto}</style></head><body>
        """);
    out.append("<h1>Offpath load run ").append(escape(r.date().toString())).append("</h1>\n");
    PhaseResult fixedBaseline = r.fixedBaseline();
    PhaseResult fixedOffpath = r.fixedOffpath();
    if (fixedBaseline != null && fixedOffpath != null) {
      out.append(
          chart(
              String.format(
                  Locale.ROOT, "Check latency at a fixed rate (%,.0f checks/s, open loop)", r.fixedRate()),
              List.of(
                  new Series("baseline", fixedBaseline.histogram()),
                  new Series("offpath", fixedOffpath.histogram()))));
    }
    PhaseResult mixedIdle = r.mixedIdle();
    PhaseResult mixedStreaming = r.mixedStreaming();
    LoadReport.Logs logs = r.mixedLogs();
    if (mixedIdle != null && mixedStreaming != null && logs != null) {
      out.append(
          chart(
              String.format(
                  Locale.ROOT,
                  "Offpath Check latency, idle vs access logs at %,.0f entries/s (%,.0f checks/s)",
                  logs.rate(),
                  r.mixedRate()),
              List.of(
                  new Series("idle", mixedIdle.histogram()),
                  new Series("logs streaming", mixedStreaming.histogram()))));
    }
    LoadReport.Soak soak = r.soak();
    if (soak != null) {
      out.append(
          chart(
              String.format(
                  Locale.ROOT,
                  "Offpath Check latency over the soak (%,.0f checks/s, with forced full GCs)",
                  soak.rate()),
              List.of(new Series("soak", soak.checks().histogram()))));
    }
    PhaseResult maxBaseline = r.maxBaseline();
    PhaseResult maxOffpath = r.maxOffpath();
    if (maxBaseline != null && maxOffpath != null) {
      out.append(
          chart(
              "Check latency at max throughput (closed loop, from actual send)",
              List.of(
                  new Series("baseline", maxBaseline.histogram()),
                  new Series("offpath", maxOffpath.histogram()))));
    }
    out.append("<h2>Report</h2>\n<pre>").append(escape(ReportText.render(r))).append("</pre>\n");
    out.append("</body></html>\n");
    return out.toString();
  }

  static String chart(String title, List<Series> series) {
    long maxValue = 1;
    List<List<double[]>> lines = new ArrayList<>();
    for (Series s : series) {
      List<double[]> points = points(s.histogram());
      lines.add(points);
      for (double[] p : points) {
        maxValue = Math.max(maxValue, (long) p[1]);
      }
    }
    double maxMs = niceCeiling(maxValue / 1e6);
    StringBuilder svg = new StringBuilder();
    svg.append("<h2>").append(escape(title)).append("</h2>\n");
    svg.append(
        String.format(
            Locale.ROOT,
            "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                + " font-family=\"sans-serif\" font-size=\"11\">\n",
            WIDTH, HEIGHT, WIDTH, HEIGHT));
    int plotW = WIDTH - LEFT - RIGHT;
    int plotH = HEIGHT - TOP - BOTTOM;
    for (int i = 0; i <= 5; i++) {
      double ms = maxMs * i / 5;
      double y = TOP + plotH - plotH * i / 5.0;
      svg.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                  + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s ms</text>\n",
              LEFT, y, WIDTH - RIGHT, y, LEFT - 6, y + 4, trim(ms)));
    }
    String[] ticks = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"};
    for (int i = 0; i <= MAX_X; i++) {
      double x = LEFT + plotW * i / MAX_X;
      svg.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
                  + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
              x, TOP, x, TOP + plotH, x, TOP + plotH + 16, ticks[i]));
    }
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">percentile</text>\n"
                + "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>\n",
            LEFT + plotW / 2, HEIGHT - 10, LEFT, TOP, plotW, plotH));
    for (int s = 0; s < series.size(); s++) {
      String color = COLORS[s % COLORS.length];
      StringBuilder path = new StringBuilder();
      for (double[] p : lines.get(s)) {
        double x = LEFT + plotW * Math.min(p[0], MAX_X) / MAX_X;
        double y = TOP + plotH - plotH * Math.min(p[1] / 1e6 / maxMs, 1);
        path.append(path.isEmpty() ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", x, y));
      }
      LatencySummary sum = LatencySummary.of(series.get(s).histogram());
      svg.append("<path fill=\"none\" stroke-width=\"2\" stroke=\"")
          .append(color)
          .append("\" d=\"")
          .append(path)
          .append("\"/>\n");
      svg.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"3\" fill=\"%s\"/>"
                  + "<text x=\"%d\" y=\"%d\">%s: p50 %s, p99 %s, p99.9 %s</text>\n",
              LEFT + 10, TOP + 10 + 16 * s, color, LEFT + 28, TOP + 14 + 16 * s,
              escape(series.get(s).label()),
              LatencySummary.millis(sum.p50()),
              LatencySummary.millis(sum.p99()),
              LatencySummary.millis(sum.p999())));
    }
    svg.append("</svg>\n");
    return svg.toString();
  }

  /** (log10(1/(1-p)), latency ns) pairs of a histogram's percentile distribution. */
  static List<double[]> points(Histogram h) {
    List<double[]> out = new ArrayList<>();
    if (h.getTotalCount() == 0) {
      return out;
    }
    for (HistogramIterationValue v : h.percentiles(5)) {
      double p = v.getPercentileLevelIteratedTo() / 100;
      double x = p >= 1 ? MAX_X : Math.log10(1 / (1 - p));
      out.add(new double[] {Math.min(x, MAX_X), h.highestEquivalentValue(v.getValueIteratedTo())});
      if (x >= MAX_X) {
        break;
      }
    }
    return out;
  }

  /** 1, 2 or 5 times a power of ten, at least {@code v}. */
  static double niceCeiling(double v) {
    double pow = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * pow >= v) {
        return m * pow;
      }
    }
    return 10 * pow;
  }

  private static String trim(double v) {
    String s = String.format(Locale.ROOT, "%.3f", v);
    return s.replaceAll("0+$", "").replaceAll("\\.$", "");
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
