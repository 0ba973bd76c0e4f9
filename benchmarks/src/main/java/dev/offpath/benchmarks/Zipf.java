package dev.offpath.benchmarks;

import java.util.Random;

/**
 * Precomputed Zipf-distributed indexes in {@code [0, n)} (exponent {@code s}), so a benchmark's
 * key choice costs an array read: {@code next()} cycles through {@value #SAMPLES} samples drawn
 * with a fixed seed. Not thread-safe; give each benchmark thread its own.
 */
public final class Zipf {

  static final int SAMPLES = 1 << 16;

  private final int[] samples = new int[SAMPLES];
  private int position;

  public Zipf(int n, double s, long seed) {
    if (n < 1) {
      throw new IllegalArgumentException("n: " + n + " (expected: > 0)");
    }
    double[] cdf = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += 1 / Math.pow(i + 1, s);
      cdf[i] = sum;
    }
    Random random = new Random(seed);
    for (int k = 0; k < SAMPLES; k++) {
      double u = random.nextDouble() * sum;
      int lo = 0;
      int hi = n - 1;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (cdf[mid] < u) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      samples[k] = lo;
    }
  }

  public int next() {
    int i = samples[position];
    position = (position + 1) & (SAMPLES - 1);
    return i;
  }
}
