package dev.offpath.server.decisions;

import static java.util.Objects.requireNonNull;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What {@code --decision-log*} asked for.
 *
 * @param target {@code stdout}, {@code stderr} or a file path (rotated as the stdio adapter's files);
 *     null: no decision log (dry-run denials are still counted)
 * @param sampleRate the share of allowed decisions logged, 0..1; denials and dry-run denials are
 *     always logged
 * @param redact attribute names whose values are replaced: a whole attribute ({@code
 *     request.headers} covers all its keys) or one map key ({@code request.headers[authorization]})
 * @param queueCapacity entries waiting for the writer, at most; beyond it entries are dropped and
 *     counted
 */
public record DecisionLogOptions(
    @Nullable String target, double sampleRate, List<String> redact, int queueCapacity) {

  public static final int DEFAULT_QUEUE_CAPACITY = 10_000;

  /** No decision log. */
  public static final DecisionLogOptions OFF =
      new DecisionLogOptions(null, 1.0, List.of(), DEFAULT_QUEUE_CAPACITY);

  public DecisionLogOptions {
    redact = List.copyOf(redact);
    if (!(sampleRate >= 0 && sampleRate <= 1)) {
      throw new IllegalArgumentException(
          "decision-log-sample: " + sampleRate + " (expected: 0..1)");
    }
    if (queueCapacity <= 0) {
      throw new IllegalArgumentException(
          "decision-log-queue: " + queueCapacity + " (expected: > 0)");
    }
    if (target != null && target.isBlank()) {
      throw new IllegalArgumentException(
          "decision-log: '' (expected: stdout, stderr or a file path)");
    }
    for (String name : redact) {
      requireNonNull(name, "redact");
      if (name.isBlank()) {
        throw new IllegalArgumentException("decision-log-redact: '' (expected: an attribute name)");
      }
    }
  }

  public boolean enabled() {
    return target != null;
  }
}
