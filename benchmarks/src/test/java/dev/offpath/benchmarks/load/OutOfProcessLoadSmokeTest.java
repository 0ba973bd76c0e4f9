package dev.offpath.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.offpath.benchmarks.remote.InstanceEncodingBenchmark;
import dev.offpath.server.OffpathServer;
import dev.offpath.server.SecurityOptions;
import dev.offpath.server.ServerOptions;
import dev.offpath.server.decisions.DecisionLogOptions;
import dev.offpath.server.tracing.TracingOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code load.sh --oop} for a moment at low rates: the built-in and the out-of-process configs
 * served by two Offpaths in this JVM (the real runs start them as processes) against one {@link
 * LoadAdapter}. Every phase runs without an error; the Checks of the {@code oop} server reach the
 * adapter (fewer calls than Checks: the cache); the ingest is counted exactly, at the adapter as two
 * instances per entry. No performance is asserted.
 */
class OutOfProcessLoadSmokeTest {

  @TempDir Path dir;

  private static OffpathServer offpath(List<Path> config) throws Exception {
    return OffpathServer.start(
        new ServerOptions(
            config, "127.0.0.1", 0, "127.0.0.1", 0, 0, 1 << 20, false, 10_000,
            Duration.ofSeconds(1), false, 0, ServerOptions.DEFAULT_REPORT_WORKERS,
            ServerOptions.DEFAULT_REPORT_QUEUE, SecurityOptions.DEFAULTS, DecisionLogOptions.OFF,
            TracingOptions.OFF));
  }

  @Test
  void comparesOutOfProcessAdaptersWithBuiltInOnesOnChecksAndIngest() throws Exception {
    LoadOptions options =
        LoadOptions.parse(
            new String[] {
              "--results", dir.resolve("results").toString(),
              "--phases", "capacity,closed,ingest",
              "--warmup", "100ms",
              "--rounds", "1",
              "--step-start", "100",
              "--step-max", "150",
              "--step-duration", "200ms",
              "--step-max-p50", "1m",
              "--bisections", "0",
              "--max-duration", "300ms",
              "--concurrency", "4",
              "--requests", "64",
              "--users", "8",
              "--ingest-entries", "2000",
              "--ingest-streams", "2"
            });
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    try (LoadAdapter adapter =
            new LoadAdapter(
                InstanceEncodingBenchmark.template("checknothing"),
                InstanceEncodingBenchmark.template("metric"))) {
      List<Path> builtinConfig = Servers.writePolicy(Files.createDirectories(dir.resolve("b")));
      List<Path> oopConfig =
          OutOfProcessLoad.oopConfig(
              Files.createDirectories(dir.resolve("o")),
              InstanceEncodingBenchmark.reference().resolve("oop"),
              adapter.port());
      OffpathServer builtin = offpath(builtinConfig);
      OffpathServer oop = offpath(oopConfig);
      assertThat(oop.store().current().config().warnings()).isEmpty();
      try (Target b = Target.inProcess("offpath-builtin", builtin.grpcPort(), builtin.telemetryPort(), builtin);
          Target o = Target.inProcess("offpath-oop", oop.grpcPort(), oop.telemetryPort(), oop);
          Progress progress = new Progress(new PrintStream(console, true, StandardCharsets.UTF_8))) {
        OutOfProcessLoad run = new OutOfProcessLoad(options, progress);
        run.checks(b, o, adapter);
        long checkCalls = adapter.checkCalls.sum();
        run.ingest(b, o, adapter);
        String text = String.join("\n", run.lines());
        assertThat(text)
            .contains("Check capacity (open loop): builtin ")
            .contains("Check closed loop (")
            .contains("oop/builtin ")
            .contains("every entry counted")
            .doesNotContain("NOT EXACT");
        assertThat(text).contains("errors 0), oop ", "errors 0); oop/builtin ");
        // The cache in front: the adapter saw far fewer calls than the Checks sent.
        assertThat(checkCalls).isPositive().isLessThan(200);
        // Two full-size warm-up rounds and one measured round of 2,000 entries: two instances
        // each.
        assertThat(adapter.metricInstances.sum()).isEqualTo(2 * 3 * 2_000);
        assertThat(adapter.metricCalls.sum()).isPositive().isLessThan(6_000);
        assertThat(text).contains("ingest median round: builtin ");
        assertThat(adapter.badRequests.sum()).isZero();
      }
    }
  }

  @Test
  void theAdapterCountsInstancesWithoutDecodingThem() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    for (int i = 0; i < 3; i++) {
      o.writeBytes(1, ByteString.copyFromUtf8("instance " + i));
    }
    o.writeBytes(2, ByteString.copyFromUtf8("adapter_config"));
    o.writeString(3, "dedup-1");
    o.writeBytes(1, ByteString.EMPTY);
    o.flush();
    assertThat(LoadAdapter.instances(out.toByteArray())).isEqualTo(4);
    assertThat(LoadAdapter.instances(new byte[0])).isZero();
  }
}
