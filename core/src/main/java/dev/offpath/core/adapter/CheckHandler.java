package dev.offpath.core.adapter;

/** A handler for check templates ({@code checknothing}, {@code listentry}, {@code authorization}). */
public interface CheckHandler extends Handler {

  /** Decides on one instance. Must not block; thread-safe. */
  CheckResult check(Instance instance);
}
