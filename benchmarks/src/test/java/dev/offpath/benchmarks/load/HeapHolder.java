package dev.offpath.benchmarks.load;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A child JVM for {@link HeapSamplerTest}: prints {@code ready}, then for each line {@code N} on
 * stdin keeps N MiB more of live data (64 KiB arrays, below any G1 humongous size) and prints
 * {@code holding N}; exits at the end of its input.
 */
public final class HeapHolder {

  private static final List<byte[]> HELD = new ArrayList<>();

  private HeapHolder() {}

  public static void main(String[] args) throws Exception {
    System.out.println("ready");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      int mib = Integer.parseInt(line.trim());
      for (int i = 0; i < mib * 16; i++) {
        HELD.add(new byte[64 << 10]);
      }
      System.out.println("holding " + mib);
    }
  }
}
