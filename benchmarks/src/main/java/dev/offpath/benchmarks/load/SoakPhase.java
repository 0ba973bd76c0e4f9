package dev.offpath.benchmarks.load;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

/**
 * The load driver's soak phase ({@code --phases soak}): Checks over many users and access logs at
 * fixed rates for {@code --soak-duration}, with Offpath's heap read after a full GC every {@code
 * --soak-sample}, so that growth under steady load shows (README "Benchmarks").
 *
 * <p>Threads: the Check open loop runs on a daemon thread of its own; the calling thread samples
 * the heap and, at the end, waits for the loop and counts the logs.
 */
final class SoakPhase {

  private final LoadOptions options;
  private final Progress progress;
  private final PhaseSteps steps;

  SoakPhase(LoadOptions options, Progress progress, PhaseSteps steps) {
    this.options = options;
    this.progress = progress;
    this.steps = steps;
  }

  /**
   * Runs the phase: Checks over many users on a client of their own and access logs at fixed
   * rates, the open loop on a thread of its own while this one forces a full GC in Offpath and
   * reads its heap every {@code --soak-sample}; then the logs are counted.
   */
  LoadReport.Soak run(Target offpath, LogClient logs, HeapSampler heap, double rate)
      throws IOException, InterruptedException {
    int users = options.soakUsers();
    long durationNanos = options.soakDuration().toNanos();
    long sampleNanos = options.soakSample().toNanos();
    progress.message(
        String.format(
            Locale.ROOT,
            "soak: %s at %,.0f checks/s over %,d users and %,.0f entries/s; heap read every %s by %s",
            LoadOptions.flag(options.soakDuration()),
            rate,
            users,
            options.soakLogRate(),
            LoadOptions.flag(options.soakSample()),
            "jcmd " + heap.pid() + " GC.run + GC.heap_info"));
    MeshMetrics mesh = new MeshMetrics(offpath.telemetryPort());
    try (CheckClient client =
        new CheckClient(offpath.grpcPort(), options.connections(), CheckTraffic.encoded(users, users))) {
      long heapBefore = heap.heapUsedAfterFullGc();
      double countedBefore = mesh.requestsTotal();
      progress.message(String.format(Locale.ROOT, "soak: heap before the load %.1f MiB", mib(heapBefore)));
      Meter checks = new Meter("soak", offpath.name(), rate);
      Meter logMeter = new Meter("soak-logs", offpath.name(), options.soakLogRate());
      List<HeapGrowth.Sample> samples = new CopyOnWriteArrayList<>();
      long start = System.nanoTime();
      progress.show(checks, () -> soakNote(start, durationNanos, samples));
      LogClient.RateRun stream =
          logs.atRate(options.logStreams(), options.soakLogRate(), durationNanos, logMeter);
      FutureTask<PhaseResult> run =
          new FutureTask<>(() -> client.openLoop(checks, offpath, options.soakDuration()));
      Thread sender = new Thread(run, "soak-checks");
      sender.setDaemon(true);
      sender.start();
      try {
        sample(offpath, heap, mesh, start, countedBefore, checks, samples);
      } catch (IOException | InterruptedException | RuntimeException e) {
        // A failed sample (or a server gone) ends the run: stop sending Checks too.
        run.cancel(true);
        throw e;
      }
      PhaseResult result;
      try {
        result = run.get();
      } catch (CancellationException e) {
        throw new IllegalStateException("soak: the Check open loop was stopped", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("soak: the Check open loop failed: " + e.getCause(), e.getCause());
      }
      steps.report("soak", result);
      long sent = stream.finish(TimeUnit.SECONDS.toNanos(30));
      double counted = LoadDriver.awaitCount(mesh, countedBefore, sent) - countedBefore;
      progress.message(
          String.format(
              Locale.ROOT, "soak-logs offpath: %,d entries sent, %,.0f counted", sent, counted));
      offpath.ensureAlive("soak");
      return new LoadReport.Soak(
          rate,
          options.soakLogRate(),
          users,
          durationNanos,
          sampleNanos,
          HeapSampler.METHOD,
          heapBefore,
          samples,
          result,
          sent,
          counted);
    }
  }

  /** Every {@code --soak-sample} from {@code start} to the soak's end: a full GC and a heap reading. */
  private void sample(
      Target offpath,
      HeapSampler heap,
      MeshMetrics mesh,
      long start,
      double countedBefore,
      Meter checks,
      List<HeapGrowth.Sample> samples)
      throws IOException, InterruptedException {
    long durationNanos = options.soakDuration().toNanos();
    long sampleNanos = options.soakSample().toNanos();
    for (long k = 1; k * sampleNanos <= durationNanos; k++) {
      long wait = start + k * sampleNanos - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      offpath.ensureAlive("soak");
      long bytes = heap.heapUsedAfterFullGc();
      HeapGrowth.Sample s =
          new HeapGrowth.Sample(
              System.nanoTime() - start, bytes, checks.completed(), mesh.requestsTotal() - countedBefore);
      samples.add(s);
      progress.message(
          String.format(
              Locale.ROOT,
              "soak sample %d at %s: heap after GC %.1f MiB, %,d checks done, %,.0f entries counted",
              k, clock(s.elapsedNanos()), s.heapMiB(), s.checksDone(), s.entriesCounted()));
    }
  }

  /** The soak's part of the progress line: how far it is and the last heap reading. */
  private static String soakNote(long start, long durationNanos, List<HeapGrowth.Sample> samples) {
    String time = "  soak " + clock(System.nanoTime() - start) + " of " + clock(durationNanos);
    if (samples.isEmpty()) {
      return time + ", no heap sample yet";
    }
    HeapGrowth.Sample last = samples.get(samples.size() - 1);
    return String.format(
        Locale.ROOT, "%s, heap after GC %.1f MiB at %s", time, last.heapMiB(), clock(last.elapsedNanos()));
  }

  /** {@code m:ss}. */
  static String clock(long nanos) {
    long s = TimeUnit.NANOSECONDS.toSeconds(nanos);
    return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }

  private static double mib(long bytes) {
    return bytes / (double) (1 << 20);
  }

}
