package dev.offpath.benchmarks.load;

import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/** The text report of a load run: machine, settings, one section per run, the targets. */
final class ReportText {

  static final String TITLE = "Offpath end-to-end load report";
  static final String MAX = "1. Max throughput";
  static final String FIXED = "2. Latency at a fixed rate";
  static final String INGEST = "3. Access-log ingest";
  static final String MIXED = "4. Mixed: Check latency while access logs stream";
  static final String TARGETS = "Targets (DESIGN.md section 4)";
  static final String METHOD = "Method";

  private final StringBuilder out = new StringBuilder();

  private ReportText() {}

  static String render(LoadReport r) {
    ReportText t = new ReportText();
    t.write(r);
    return t.out.toString();
  }

  private void line(String format, Object... args) {
    out.append(String.format(Locale.ROOT, format, args)).append('\n');
  }

  private void heading(String title) {
    out.append('\n').append(title).append('\n').append("-".repeat(title.length())).append('\n');
  }

  private void write(LoadReport r) {
    line("%s", TITLE);
    line("%s", "=".repeat(TITLE.length()));
    line("date: %s", DateTimeFormatter.ISO_INSTANT.format(r.date().truncatedTo(ChronoUnit.SECONDS)));
    for (String m : r.machine()) {
      line("%s", m);
    }
    for (String s : r.settings()) {
      line("%s", s);
    }
    line("baseline: %s", r.baseline());
    line("offpath:  %s", r.offpath());
    line("policy: benchmarks/src/main/resources/dev/offpath/benchmarks/load/offpath-policy.yaml"
        + " (20 rules + memquota) with Istio 1.0's default metrics");

    heading(MAX);
    line("  open loop, step-up search (see settings above); the capacity is the highest rate kept up:");
    capacity("baseline", r.capacityBaseline());
    capacity("offpath", r.capacityOffpath());
    line("  ratio offpath/baseline: %s", ratio(r.throughputRatio()));
    line("  %s, for comparison (batches more per write, so it goes higher):", r.maxBaseline().mode());
    phase(r.maxBaseline());
    phase(r.maxOffpath());
    line("  closed-loop ratio offpath/baseline: %s", ratio(r.closedLoopRatio()));

    heading(String.format(Locale.ROOT, "%s (open loop, %,.0f checks/s)", FIXED, r.fixedRate()));
    phase(r.fixedBaseline());
    phase(r.fixedOffpath());
    line(
        "  p99 ratio offpath/baseline: %s",
        LatencySummary.ratio(r.fixedOffpath().latency().p99(), r.fixedBaseline().latency().p99()));
    line(
        "  server CPU per 1000 checks: baseline %s, offpath %s (= vCPU per 1000 checks/s / 1000)",
        cpu(r.fixedBaseline()),
        cpu(r.fixedOffpath()));

    heading(INGEST + " (Istio 1.0 default metrics, as fast as flow control allows)");
    LoadReport.Ingest in = r.ingest();
    line("  entries sent:     %,d (errors %d)", in.sent(), in.errors());
    line("  counted:          %,.0f by istio_requests_total on the telemetry port", in.counted());
    line("  counted == sent:  %s", in.exact() ? "yes" : "NO");
    line(
        "  rate:             %,.0f entries/s (%.2f s to counted; client done after %.2f s)",
        in.rate(), in.elapsedNanos() / 1e9, in.clientNanos() / 1e9);
    line(
        "  server CPU:       %s per 1000 entries",
        in.cpuNanos() < 0
            ? "n/a"
            : String.format(Locale.ROOT, "%.1f ms", in.cpuNanos() / 1e6 / (in.sent() / 1000.0)));

    heading(String.format(Locale.ROOT, "%s (open loop, %,.0f checks/s)", MIXED, r.mixedRate()));
    phase(r.mixedIdle());
    phase(r.mixedStreaming());
    LoadReport.Logs logs = r.mixedLogs();
    line(
        "  logs: %,d entries at %,.0f entries/s (asked %,.0f/s), counted %,.0f, counted == sent: %s",
        logs.sent(), logs.rate(), logs.requestedRate(), logs.counted(), logs.exact() ? "yes" : "NO");
    line("  p99 ratio streaming/idle: %s", ratio(r.mixedP99Ratio()));

    heading(TARGETS);
    target(
        "Check max throughput (open loop) >= 0.85x baseline",
        ratio(r.throughputRatio()) + "x",
        r.throughputRatio() >= 0.85);
    target(
        "p99 at half baseline capacity <= 1.2x baseline",
        ratio(r.fixedP99Ratio()) + "x",
        r.fixedP99Ratio() > 0 && r.fixedP99Ratio() <= 1.2);
    target(
        "access-log ingest >= 300k entries/s, exact",
        String.format(Locale.ROOT, "%,.0f/s, %s", in.rate(), in.exact() ? "exact" : "NOT exact"),
        in.rate() >= 300_000 && in.exact());
    target(
        String.format(Locale.ROOT, "Check p99 <= 1.5x idle while logs stream (%,.0f/s)", logs.rate()),
        ratio(r.mixedP99Ratio()) + "x",
        r.mixedP99Ratio() > 0 && r.mixedP99Ratio() <= 1.5 && logs.exact());
    double cpu = r.fixedOffpath().cpuMillisPer1000();
    target(
        "CPU per 1000 checks <= 0.05 vCPU (50 ms)",
        cpu < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f ms", cpu),
        cpu >= 0 && cpu <= 50);

    heading(METHOD);
    line("  Each server runs in its own JVM started by this run; CPU is its process CPU time");
    line("  (user + system) over the phase. One client drives both with the same prebuilt");
    line("  requests (12 headers; 1 in %d denied by the policy) and the same connections.", CheckTraffic.DENIED_EVERY);
    line("  Max throughput: open-loop steps at rising rates; a step kept up when every call");
    line("  completed, at >= 95%% of the rate, with a median under the bound (past capacity the");
    line("  queue, and so the median, grows through the step). Closed loop for comparison.");
    line("  Fixed rate and mixed: open loop, each request sent at its intended time on a fixed");
    line("  schedule, latency measured from that intended time (no coordinated omission).");
    line("  Client and server share the machine; the ratios compare like with like.");
  }

  private void capacity(String name, LoadReport.Capacity c) {
    line("  %-9s %,10.0f checks/s", name, c.rate());
    for (CapacitySearch.Step s : c.steps()) {
      line(
          "            step %,8.0f/s: done %,8.0f/s  p50 %s  p99 %s  %s",
          s.rate(),
          s.achieved(),
          LatencySummary.millis(s.p50()),
          LatencySummary.millis(s.p99()),
          s.passed() ? "kept up" : "did not keep up");
    }
  }

  private void phase(PhaseResult p) {
    line(
        "  %-9s %,10.0f checks/s  %s  allowed %,d denied %,d errors %,d  CPU %s/1000 checks",
        p.target(),
        p.throughput(),
        p.latency().format(),
        p.allowed(),
        p.denied(),
        p.errors(),
        cpu(p));
    if (p.rounds().size() > 1) {
      StringBuilder rounds = new StringBuilder();
      for (PhaseResult.Round round : p.rounds()) {
        rounds
            .append(rounds.isEmpty() ? "" : " | ")
            .append(String.format(Locale.ROOT, "%,.0f/s p99 %s", round.throughput(), LatencySummary.millis(round.p99())));
      }
      line("            rounds: %s", rounds);
    }
    if (p.firstError() != null) {
      line("            first error: %s", p.firstError());
    }
  }

  private void target(String what, String measured, boolean met) {
    line("  %-66s %-22s %s", what, measured, met ? "met" : "NOT met");
  }

  private static String cpu(PhaseResult p) {
    double ms = p.cpuMillisPer1000();
    return ms < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f ms", ms);
  }

  private static String ratio(double r) {
    return String.format(Locale.ROOT, "%.2f", r);
  }
}
