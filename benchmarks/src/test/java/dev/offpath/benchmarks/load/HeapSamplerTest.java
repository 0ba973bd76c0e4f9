package dev.offpath.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The heap after a full GC: {@code GC.heap_info} as JDK 25's collectors print it, and a real child
 * JVM ({@link HeapHolder}) under each collector every HotSpot build has, read with this JDK's jcmd
 * before and after it takes on 64 MiB of live data.
 */
class HeapSamplerTest {

  @TempDir Path dir;

  @Test
  void parsesTheHeapUsedOfEachCollector() {
    assertThat(
            HeapSampler.parseHeapUsed(
                """
                470:
                Command executed successfully
                garbage-first heap   total reserved 6172672K, committed 28672K, used 2913K [0x0000000687400000, 0x0000000800000000)
                 region size 4096K, 0 young (0K), 0 survivors (0K)
                 Metaspace       used 1234K, committed 1408K, reserved 1114112K
                  class space    used 99K, committed 192K, reserved 1048576K
                """))
        .isEqualTo(2913L << 10);
    assertThat(
            HeapSampler.parseHeapUsed(
                """
                DefNew     total 116224K, used 10K [0x0000000687400000, 0x000000068f210000, 0x0000000704d50000)
                 eden space 103360K,   0% used [0x0000000687400000, 0x0000000687400000, 0x000000068d8f0000)
                 from space 12864K,   0% used [0x000000068d8f0000, 0x000000068d8f0000, 0x000000068e580000)
                Tenured    total 258048K, used 3054K [0x0000000704d50000, 0x0000000714950000, 0x0000000800000000)
                 the  space 258048K,   1% used [0x0000000704d50000, 0x000000070504b880, 0x0000000714950000)
                """))
        .isEqualTo(3064L << 10);
    assertThat(
            HeapSampler.parseHeapUsed(
                """
                PSYoungGen      total 113152K, used 0K [0x0000000782700000, 0x000000078a500000, 0x0000000800000000)
                 eden space 97280K, 0% used [0x0000000782700000,0x0000000782700000,0x0000000788600000)
                ParOldGen       total 258048K, used 2926K [0x0000000687400000, 0x0000000697000000, 0x0000000782700000)
                 object space 258048K, 1% used [0x0000000687400000,0x00000006876dba58,0x0000000697000000)
                """))
        .isEqualTo(2926L << 10);
    assertThat(
            HeapSampler.parseHeapUsed(
                """
                ZHeap            used 4M, capacity 378M, max capacity 6028M
                 Cache           374M (2)
                """))
        .isEqualTo(4L << 20);
    assertThat(
            HeapSampler.parseHeapUsed(
                """
                Shenandoah Heap
                 6028M max, 6028M soft max, 412M committed, 4096K used
                 3014 x 2048 K regions
                """))
        .isEqualTo(4096L << 10);
    assertThat(HeapSampler.parseHeapUsed("ZHeap used 2G, capacity 4G")).isEqualTo(2L << 30);
  }

  @Test
  void outputWithoutAHeapUsedIsAnError() {
    assertThatThrownBy(() -> HeapSampler.parseHeapUsed("123:\nCommand executed successfully\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("GC.heap_info: no heap used in 123:");
  }

  @Test
  void aJavaWithoutJcmdBesideItIsRefusedClearly() throws Exception {
    Path bin = Files.createDirectories(dir.resolve("jre/bin"));
    Path java = Files.createFile(bin.resolve("java"));

    assertThatThrownBy(() -> HeapSampler.jcmdNextTo(java))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("no jcmd next to " + java + " (expected: " + bin.resolve("jcmd"))
        .hasMessageContaining("must run on a full JDK");
    assertThat(HeapSampler.jcmdNextTo(ServerProcess.java()))
        .isEqualTo(ServerProcess.java().resolveSibling("jcmd"));
  }

  @Test
  void aFailingJcmdSaysWhy() throws Exception {
    Process done = new ProcessBuilder("true").start();
    done.waitFor(10, TimeUnit.SECONDS);
    HeapSampler gone =
        new HeapSampler(HeapSampler.jcmdNextTo(ServerProcess.java()), done.pid(), Duration.ofSeconds(30));

    assertThatThrownBy(gone::heapUsedAfterFullGc)
        .hasMessageContaining(" " + done.pid() + " GC.run GC.heap_info: exit status ");
  }

  @ParameterizedTest
  @ValueSource(strings = {"-XX:+UseG1GC", "-XX:+UseSerialGC", "-XX:+UseParallelGC", "-XX:+UseZGC"})
  void readsWhatAChildJvmHoldsAfterAFullGc(String collector) throws Exception {
    List<String> command = ServerProcess.javaCommand(List.of(collector, "-Xmx512m"), "");
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), HeapHolder.class.getName()));
    Process child =
        new ProcessBuilder(command)
            .redirectError(dir.resolve("child.err").toFile())
            .start();
    try (BufferedReader out =
            new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        Writer in = new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8)) {
      assertThat(out.readLine()).isEqualTo("ready");
      HeapSampler sampler =
          new HeapSampler(HeapSampler.jcmdNextTo(ServerProcess.java()), child.pid(), Duration.ofSeconds(60));

      long before = sampler.heapUsedAfterFullGc();
      in.write("64\n");
      in.flush();
      assertThat(out.readLine()).isEqualTo("holding 64");
      long after = sampler.heapUsedAfterFullGc();

      double grownMiB = (after - before) / (double) (1 << 20);
      assertThat(before).as(collector).isPositive().isLessThan(64L << 20);
      assertThat(grownMiB).as(collector + ": %d -> %d bytes", before, after).isBetween(63.0, 72.0);
    } finally {
      child.destroy();
      child.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
