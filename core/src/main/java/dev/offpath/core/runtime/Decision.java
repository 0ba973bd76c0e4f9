package dev.offpath.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.PolicyStatus;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The combined answer of the policy engine for one request.
 *
 * <ul>
 *   <li>{@code status}: OK, or the first failing handler's code with every failing handler's message
 *       joined as {@code handler:message}.
 *   <li>{@code validDuration}/{@code validUseCount}: the minimum over the check handlers that answered
 *       (1 min / 10,000 uses when none did) — how long the check part may be reused.
 *   <li>{@code decidingRule}/{@code decidingHandler}: for a denial, the rule and handler whose status
 *       won; null when allowed.
 *   <li>{@code error}: the decision came from a failure (an instance that could not be built, a
 *       handler that threw), not from a handler's verdict; such a decision is never cached.
 *   <li>{@code usedQuota}: a quota was allocated; the quota part must never be served from a cache.
 *   <li>header mutations: from every matched rule, applied when the request is allowed.
 *   <li>{@code dryRunDenials}: what the matching dry-run rules would have denied (see {@link
 *       DryRunDenial}); they never change the status. Part of the cached answer, so a decision
 *       served from the check cache reports them again.
 *   <li>{@code matchedRules}: the rules whose match held in the precondition phase, so that a
 *       decision served from the check cache still counts its rules' hits.
 * </ul>
 */
public record Decision(
    PolicyStatus status,
    Duration validDuration,
    int validUseCount,
    @Nullable String decidingRule,
    @Nullable String decidingHandler,
    boolean error,
    boolean usedQuota,
    List<HeaderMutation> requestHeaderMutations,
    List<HeaderMutation> responseHeaderMutations,
    List<DryRunDenial> dryRunDenials,
    MatchedRules matchedRules)
    implements Outcome {

  /** Validity when no check handler answered (Mixer's defaults). */
  public static final Duration DEFAULT_VALID_DURATION = Duration.ofMinutes(1);

  public static final int DEFAULT_VALID_USE_COUNT = 10_000;

  public Decision {
    requireNonNull(status, "status");
    requireNonNull(validDuration, "validDuration");
    requestHeaderMutations = List.copyOf(requestHeaderMutations);
    responseHeaderMutations = List.copyOf(responseHeaderMutations);
    dryRunDenials = List.copyOf(dryRunDenials);
    requireNonNull(matchedRules, "matchedRules");
  }

  /** A decision without dry-run denials that names no matched rules. */
  public Decision(
      PolicyStatus status,
      Duration validDuration,
      int validUseCount,
      @Nullable String decidingRule,
      @Nullable String decidingHandler,
      boolean error,
      boolean usedQuota,
      List<HeaderMutation> requestHeaderMutations,
      List<HeaderMutation> responseHeaderMutations) {
    this(
        status,
        validDuration,
        validUseCount,
        decidingRule,
        decidingHandler,
        error,
        usedQuota,
        requestHeaderMutations,
        responseHeaderMutations,
        List.of(),
        MatchedRules.NONE);
  }

  public boolean allowed() {
    return status.isOk();
  }

  /** Known now: itself. */
  @Override
  public Decision now() {
    return this;
  }

  /** Runs {@code action} at once, on this thread. */
  @Override
  public void whenDecided(Consumer<? super Decision> action) {
    action.accept(this);
  }

  @Override
  public Outcome map(Function<? super Decision, Decision> f) {
    return f.apply(this);
  }

  @Override
  public Decision join() {
    return this;
  }
}
