package dev.offpath.benchmarks.load;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The machine facts at the head of every report: cores, load average, memory, OS, JDK. */
final class MachineFacts {

  private MachineFacts() {}

  /** Machine facts for the report. */
  static List<String> machine(String loadAtStart) {
    List<String> out = new ArrayList<>();
    out.add("cores: " + Runtime.getRuntime().availableProcessors() + cpuModel());
    out.add(
        "load average (1, 5, 15 min) at start " + loadAtStart + ", at end " + loadAverage()
            + " (other work on the machine skews every number)");
    out.add(
        "memory: "
            + ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class)
                    .getTotalMemorySize()
                / (1L << 20)
            + " MiB");
    out.add(
        "os: " + System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
            + System.getProperty("os.arch"));
    out.add(
        "jdk: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
            + " (" + System.getProperty("java.vm.vendor") + "), default GC of this JDK unless set below");
    return out;
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return String.format(
          Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return " (" + line.substring(line.indexOf(':') + 1).trim() + ")";
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: no model name
    }
    return "";
  }
}
