package dev.offpath.core.adapter;

/** A handler for the {@code quota} template. */
public interface QuotaHandler extends Handler {

  /**
   * Allocates {@code args.amount()} units for the quota named by {@code instance}. All-or-nothing
   * unless {@code args.bestEffort()}. Must not block; thread-safe.
   */
  QuotaResult allocate(Instance instance, QuotaArgs args);
}
