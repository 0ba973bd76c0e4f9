package dev.offpath.remote;

import dev.offpath.core.adapter.MeteredHandler.MetricSink;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One handler's call counters: calls by {@link CallOutcome}, calls in flight, instances sent in report
 * calls, report instances dropped by reason, checks that shared a call in flight. Updated with
 * {@link LongAdder}s from any thread; read at scrape time.
 */
final class CallStats {

  private final LongAdder[] calls = new LongAdder[CallOutcome.values().length];
  private final LongAdder[] dropped = new LongAdder[CallOutcome.values().length + 1];
  private final AtomicLong inFlight = new AtomicLong();
  private final LongAdder instancesSent = new LongAdder();
  private final LongAdder reportCalls = new LongAdder();
  private final LongAdder checksShared = new LongAdder();

  /** The index in {@link #dropped} of instances that could not be encoded. */
  private static final int INVALID = CallOutcome.values().length;

  CallStats() {
    for (int i = 0; i < calls.length; i++) {
      calls[i] = new LongAdder();
    }
    for (int i = 0; i < dropped.length; i++) {
      dropped[i] = new LongAdder();
    }
  }

  void started() {
    inFlight.incrementAndGet();
  }

  /** A call that {@link #started} ended. */
  void ended(CallOutcome outcome) {
    inFlight.decrementAndGet();
    calls[outcome.ordinal()].increment();
  }

  /** A call that was never sent (circuit open, overloaded). */
  void refused(CallOutcome outcome) {
    calls[outcome.ordinal()].increment();
  }

  void reported(int instances) {
    reportCalls.increment();
    instancesSent.add(instances);
  }

  void dropped(CallOutcome reason, int instances) {
    dropped[reason.ordinal()].add(instances);
  }

  void droppedInvalid(int instances) {
    dropped[INVALID].add(instances);
  }

  void shared() {
    checksShared.increment();
  }

  long calls(CallOutcome outcome) {
    return calls[outcome.ordinal()].sum();
  }

  long dropped(CallOutcome reason) {
    return dropped[reason.ordinal()].sum();
  }

  long droppedInvalid() {
    return dropped[INVALID].sum();
  }

  long inFlight() {
    return inFlight.get();
  }

  long instancesSent() {
    return instancesSent.sum();
  }

  long reportCalls() {
    return reportCalls.sum();
  }

  long checksShared() {
    return checksShared.sum();
  }

  void collect(MetricSink sink) {
    String help = "Calls from an out-of-process adapter's handler to the adapter, by result.";
    for (CallOutcome o : CallOutcome.values()) {
      sink.counter("offpath_adapter_calls", help, calls(o), "result", o.label);
    }
    sink.gauge(
        "offpath_adapter_calls_in_flight",
        "Calls to an out-of-process adapter sent and not yet answered.",
        inFlight());
    sink.counter(
        "offpath_adapter_report_calls",
        "Report calls (Handle<Template> of report templates) answered OK.",
        reportCalls());
    sink.counter(
        "offpath_adapter_report_instances",
        "Report instances delivered to an out-of-process adapter; divided by"
            + " offpath_adapter_report_calls_total, the instances per call.",
        instancesSent());
    String droppedHelp = "Report instances not delivered to an out-of-process adapter, by reason.";
    for (CallOutcome o : CallOutcome.values()) {
      if (o != CallOutcome.OK) {
        sink.counter("offpath_adapter_dropped_instances", droppedHelp, dropped(o), "reason", o.label);
      }
    }
    sink.counter(
        "offpath_adapter_dropped_instances", droppedHelp, droppedInvalid(), "reason", "invalid");
    sink.counter(
        "offpath_adapter_check_calls_shared",
        "Checks answered by an identical check's call already in flight.",
        checksShared());
  }
}
