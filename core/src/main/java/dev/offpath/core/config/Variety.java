package dev.offpath.core.config;

/**
 * What the runtime does with an instance of a template, as Mixer's {@code template_variety} said:
 * decided once per template at load, so the runtime binds each action to a typed handler once
 * instead of testing template names per request.
 */
public enum Variety {
  /** Answered by a check handler in the precondition phase, cacheable ({@code listentry}, …). */
  CHECK,
  /** Allocated from a quota handler in the quota phase, never cached ({@code quota}). */
  QUOTA,
  /** Dispatched to report handlers by the telemetry pipeline ({@code metric}, {@code logentry}). */
  REPORT
}
