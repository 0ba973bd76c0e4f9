package dev.offpath.benchmarks.load;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.Params;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The load driver's flags. Rates of 0 mean "derived": the fixed rate is half of the baseline's
 * measured capacity, the mixed run's and the soak's Check rate is the fixed rate. {@code phases}
 * are the phases to run; one that derives its rate from the capacity needs the capacity phase or a
 * rate. The soak takes at least three heap samples ({@code soakSample <= soakDuration / 3}).
 */
record LoadOptions(
    Path offpathJar,
    Path results,
    Duration warmup,
    Duration maxDuration,
    double stepStart,
    double stepFactor,
    double stepMax,
    Duration stepDuration,
    Duration stepMaxP50,
    int bisections,
    Duration fixedDuration,
    Duration mixedDuration,
    int rounds,
    int concurrency,
    int connections,
    double fixedRate,
    double mixedRate,
    double logRate,
    int logStreams,
    int entriesPerMessage,
    int ingestStreams,
    long ingestEntries,
    int requests,
    int users,
    List<String> serverJvmOptions,
    List<String> offpathArgs,
    String serverCpus,
    Set<Phase> phases,
    Duration soakDuration,
    Duration soakSample,
    double soakRate,
    double soakLogRate,
    int soakUsers) {

  /** The phases of a run, in the order they run. */
  enum Phase {
    CAPACITY,
    CLOSED,
    FIXED,
    INGEST,
    MIXED,
    /** Long (ten minutes by default), so not among the default phases. */
    SOAK;

    /** The name on the command line and in the report. */
    String flag() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Whether the phase measures the baseline too (the others measure Offpath alone). */
    boolean needsBaseline() {
      return this == CAPACITY || this == CLOSED || this == FIXED;
    }
  }

  static final String USAGE =
      """
      usage: LoadDriver [--flag value]...
        --offpath-jar PATH       Offpath's shaded jar (default server/target/offpath.jar)
        --results DIR            where the report goes (default benchmarks/results)
        --warmup D               closed-loop warm-up per server (default 15s)
        --step-start R           first rate of the open-loop capacity search (default 2000)
        --step-factor F          rate factor of its climb (default 1.5)
        --step-max R             highest rate it tries (default 1000000)
        --step-duration D        length of each of its steps (default 2s)
        --step-max-p50 D         a step whose median latency exceeds this did not keep up (default 10ms)
        --bisections N           steps that refine the capacity after the climb (default 3)
        --max-duration D         closed-loop run per server, for comparison (default 6s)
        --fixed-duration D       open-loop run at the fixed rate per server (default 15s)
        --mixed-duration D       each half of the mixed run, idle and streaming (default 10s)
        --rounds N               slices per measured phase, alternating the servers (default 3)
        --concurrency N          calls in flight in the closed loop (default 128)
        --connections N          HTTP/2 connections of the Check client (default 2)
        --fixed-rate R           checks/s of the fixed-rate run (default: half the baseline capacity)
        --mixed-rate R           checks/s of the mixed run (default: the fixed rate)
        --log-rate R             access-log entries/s during the mixed run (default 50000)
        --log-streams N          access-log streams of the mixed run (default 2)
        --entries-per-message N  access-log entries per message (default 100)
        --ingest-streams N       streams of the ingest run (default 4)
        --ingest-entries N       entries of the ingest run (default 1000000)
        --requests N             distinct prebuilt Check requests, cycled (default 4096)
        --users N                distinct x-user values among them (default 1000)
        --server-jvm-opts "..."  extra JVM options of both server JVMs (default none)
        --offpath-args "..."     extra arguments of `offpath serve`, e.g. "--event-loop-threads 4" (default none)
        --server-cpus LIST       pin both server JVMs to these CPUs with taskset, e.g. 1 (default: not pinned)
        --phases LIST            phases to run, comma-separated, of capacity,closed,fixed,ingest,mixed,soak
                                 (default: capacity,closed,fixed,ingest,mixed; soak is long, so only when
                                 named); fixed needs capacity or --fixed-rate, mixed needs capacity,
                                 --mixed-rate or --fixed-rate, soak capacity, --soak-rate or --fixed-rate;
                                 the baseline server is started only for capacity, closed and fixed
        --soak-duration D        length of the soak: steady Checks and access logs (default 10m)
        --soak-sample D          a forced full GC in Offpath and a heap reading this often (default 30s)
        --soak-rate R            checks/s during the soak (default: the fixed rate)
        --soak-log-rate R        access-log entries/s during the soak (default 20000)
        --soak-users N           distinct x-user values (and requests) of the soak, more than the check
                                 cache holds so that it evicts (default 50000)
      durations: 500ms, 10s, 1m
      """;

  LoadOptions {
    requireNonNull(offpathJar, "offpathJar");
    requireNonNull(results, "results");
    positive("warmup", warmup);
    positive("maxDuration", maxDuration);
    positive("stepStart", stepStart);
    if (!(stepFactor > 1)) {
      throw new IllegalArgumentException("stepFactor: " + stepFactor + " (expected: > 1)");
    }
    positive("stepMax", stepMax);
    positive("stepDuration", stepDuration);
    positive("stepMaxP50", stepMaxP50);
    if (bisections < 0) {
      throw new IllegalArgumentException("bisections: " + bisections + " (expected: >= 0)");
    }
    positive("fixedDuration", fixedDuration);
    positive("mixedDuration", mixedDuration);
    positive("rounds", rounds);
    positive("concurrency", concurrency);
    positive("connections", connections);
    notNegative("fixedRate", fixedRate);
    notNegative("mixedRate", mixedRate);
    positive("logRate", logRate);
    positive("logStreams", logStreams);
    positive("entriesPerMessage", entriesPerMessage);
    positive("ingestStreams", ingestStreams);
    positive("ingestEntries", ingestEntries);
    positive("requests", requests);
    positive("users", users);
    serverJvmOptions = List.copyOf(serverJvmOptions);
    offpathArgs = List.copyOf(offpathArgs);
    requireNonNull(serverCpus, "serverCpus");
    if (!serverCpus.matches("[0-9,\\-]*")) {
      throw new IllegalArgumentException("serverCpus: " + serverCpus + " (expected: a CPU list like 1 or 0-1)");
    }
    requireNonNull(phases, "phases");
    if (phases.isEmpty()) {
      throw new IllegalArgumentException("phases: none (expected: at least one)");
    }
    phases = Collections.unmodifiableSet(EnumSet.copyOf(phases));
    if (phases.contains(Phase.FIXED) && !phases.contains(Phase.CAPACITY) && fixedRate == 0) {
      throw new IllegalArgumentException("--phases fixed needs capacity or --fixed-rate");
    }
    if (phases.contains(Phase.MIXED)
        && !phases.contains(Phase.CAPACITY)
        && mixedRate == 0
        && fixedRate == 0) {
      throw new IllegalArgumentException("--phases mixed needs capacity, --mixed-rate or --fixed-rate");
    }
    positive("soakDuration", soakDuration);
    positive("soakSample", soakSample);
    if (soakSample.multipliedBy(HeapGrowth.MIN_SAMPLES).compareTo(soakDuration) > 0) {
      throw new IllegalArgumentException(
          "soakSample: " + soakSample + " (expected: <= a third of soakDuration " + soakDuration
              + ", for three heap samples at least)");
    }
    notNegative("soakRate", soakRate);
    positive("soakLogRate", soakLogRate);
    positive("soakUsers", soakUsers);
    if (phases.contains(Phase.SOAK)
        && !phases.contains(Phase.CAPACITY)
        && soakRate == 0
        && fixedRate == 0) {
      throw new IllegalArgumentException("--phases soak needs capacity, --soak-rate or --fixed-rate");
    }
  }

  boolean runs(Phase phase) {
    return phases.contains(phase);
  }

  /** Whether any phase to run measures the baseline server. */
  boolean needsBaseline() {
    return phases.stream().anyMatch(Phase::needsBaseline);
  }

  static LoadOptions defaults() {
    return parse(new String[0]);
  }

  /** Parses {@code --name value} and {@code --name=value}. */
  static LoadOptions parse(String[] args) {
    Map<String, String> flags = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument: " + arg + " (expected: --flag value)");
      }
      int eq = arg.indexOf('=');
      if (eq > 0) {
        flags.put(arg.substring(2, eq), arg.substring(eq + 1));
      } else if (i + 1 < args.length) {
        flags.put(arg.substring(2), args[++i]);
      } else {
        throw new IllegalArgumentException(arg + ": missing value");
      }
    }
    Map<String, String> f = new LinkedHashMap<>(flags);
    LoadOptions options =
        new LoadOptions(
            Path.of(take(f, "offpath-jar", "server/target/offpath.jar")),
            Path.of(take(f, "results", "benchmarks/results")),
            duration(f, "warmup", "15s"),
            duration(f, "max-duration", "6s"),
            Double.parseDouble(take(f, "step-start", "2000")),
            Double.parseDouble(take(f, "step-factor", "1.5")),
            Double.parseDouble(take(f, "step-max", "1000000")),
            duration(f, "step-duration", "2s"),
            duration(f, "step-max-p50", "10ms"),
            Integer.parseInt(take(f, "bisections", "3")),
            duration(f, "fixed-duration", "15s"),
            duration(f, "mixed-duration", "10s"),
            Integer.parseInt(take(f, "rounds", "3")),
            Integer.parseInt(take(f, "concurrency", "128")),
            Integer.parseInt(take(f, "connections", "2")),
            Double.parseDouble(take(f, "fixed-rate", "0")),
            Double.parseDouble(take(f, "mixed-rate", "0")),
            Double.parseDouble(take(f, "log-rate", "50000")),
            Integer.parseInt(take(f, "log-streams", "2")),
            Integer.parseInt(take(f, "entries-per-message", "100")),
            Integer.parseInt(take(f, "ingest-streams", "4")),
            Long.parseLong(take(f, "ingest-entries", "1000000")),
            Integer.parseInt(take(f, "requests", "4096")),
            Integer.parseInt(take(f, "users", "1000")),
            words(take(f, "server-jvm-opts", "")),
            words(take(f, "offpath-args", "")),
            take(f, "server-cpus", ""),
            phases(take(f, "phases", "capacity,closed,fixed,ingest,mixed")),
            duration(f, "soak-duration", "10m"),
            duration(f, "soak-sample", "30s"),
            Double.parseDouble(take(f, "soak-rate", "0")),
            Double.parseDouble(take(f, "soak-log-rate", "20000")),
            Integer.parseInt(take(f, "soak-users", "50000")));
    if (!f.isEmpty()) {
      throw new IllegalArgumentException("unknown flag(s): --" + String.join(", --", f.keySet()));
    }
    return options;
  }

  /** The flags as given back on the command line, for the report. */
  List<String> describe() {
    return List.of(
        "capacity search: from " + (long) stepStart + "/s, x" + stepFactor + " per step of "
            + stepDuration.toMillis() + " ms until a step does not keep up (median > "
            + stepMaxP50.toMillis() + " ms, completions < 95% of the rate, or errors), then "
            + bisections + " bisections",
        "durations per server: warm-up " + warmup.toMillis() + " ms, closed loop " + maxDuration.toMillis()
            + " ms, fixed " + fixedDuration.toMillis() + " ms, mixed 2 x " + mixedDuration.toMillis()
            + " ms; each measured phase in " + rounds + " rounds alternating the servers",
        "check client: " + connections + " connections, closed loop " + concurrency
            + " in flight, " + requests + " distinct requests over " + users + " users",
        accessLogs(),
        servers(),
        "phases: " + phaseList()
            + (runs(Phase.SOAK)
                ? "; soak " + flag(soakDuration) + ", heap sampled every " + flag(soakSample)
                    + ", " + soakUsers + " users, "
                    + (long) soakLogRate + " entries/s on " + logStreams + " streams"
                : ""));
  }

  /** The settings an ingest-only run ({@code --istio-ingest}) uses, for its report's header. */
  List<String> describeIngest(int warmUpRounds) {
    return List.of(
        ingestLogs(),
        servers(),
        "rounds: " + warmUpRounds + " full-size warm-up rounds, then " + rounds
            + " measured, alternating the variants");
  }

  private String accessLogs() {
    return ingestLogs() + "; mixed " + (long) logRate + " entries/s on " + logStreams + " streams";
  }

  private String ingestLogs() {
    return "access logs: " + entriesPerMessage + " entries/message; ingest " + ingestEntries
        + " entries on " + ingestStreams + " streams";
  }

  private String servers() {
    return "server JVM options: "
        + (serverJvmOptions.isEmpty() ? "(none)" : String.join(" ", serverJvmOptions))
        + "; offpath serve arguments: "
        + (offpathArgs.isEmpty() ? "(none)" : String.join(" ", offpathArgs))
        + "; server CPUs: " + (serverCpus.isEmpty() ? "not pinned" : serverCpus);
  }

  /** The phases to run, in order, as {@code --phases} takes them. */
  String phaseList() {
    return String.join(",", phases.stream().map(Phase::flag).toList());
  }

  /** A duration as the flags take it: {@code 10m}, {@code 90s}, {@code 1500ms}. */
  static String flag(Duration d) {
    if (d.toMillis() % 60_000 == 0) {
      return d.toMinutes() + "m";
    }
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  private static Set<Phase> phases(String list) {
    Set<Phase> out = EnumSet.noneOf(Phase.class);
    for (String name : list.split(",", -1)) {
      Phase phase = null;
      for (Phase p : Phase.values()) {
        if (p.flag().equals(name.trim())) {
          phase = p;
        }
      }
      if (phase == null) {
        throw new IllegalArgumentException(
            "--phases: " + list
                + " (expected: a comma list of capacity, closed, fixed, ingest, mixed, soak)");
      }
      out.add(phase);
    }
    return out;
  }

  private static String take(Map<String, String> flags, String name, String fallback) {
    String value = flags.remove(name);
    return value == null ? fallback : value;
  }

  private static Duration duration(Map<String, String> flags, String name, String fallback) {
    try {
      return Params.parseDuration(take(flags, name, fallback));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--" + name + ": " + e.getMessage(), e);
    }
  }

  private static List<String> words(String text) {
    List<String> out = new ArrayList<>();
    for (String w : text.trim().split("\\s+")) {
      if (!w.isEmpty()) {
        out.add(w);
      }
    }
    return out;
  }

  private static void positive(String name, Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
    }
  }

  private static void positive(String name, long v) {
    if (v <= 0) {
      throw new IllegalArgumentException(name + ": " + v + " (expected: > 0)");
    }
  }

  private static void positive(String name, double v) {
    if (!(v > 0)) {
      throw new IllegalArgumentException(name + ": " + v + " (expected: > 0)");
    }
  }

  private static void notNegative(String name, double v) {
    if (!(v >= 0)) {
      throw new IllegalArgumentException(name + ": " + v + " (expected: >= 0)");
    }
  }
}
