package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.expr.Expression;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A validated rule: a BOOL {@code match} expression ({@code null} = always matches), actions, and header
 * operations applied when the request is allowed.
 *
 * @param dryRun annotated {@code offpath.dev/dry-run: "true"}: evaluated, but never denies, spends no
 *     real quota and applies no header operations; what it would have denied is reported instead
 */
public record RuleConfig(
    String name,
    @Nullable Expression match,
    List<Action> actions,
    List<HeaderOperation> requestHeaderOperations,
    List<HeaderOperation> responseHeaderOperations,
    Source source,
    boolean dryRun) {

  /** The annotation that makes a rule a dry-run rule ({@code "true"} / {@code "false"}). */
  public static final String DRY_RUN_ANNOTATION = "offpath.dev/dry-run";

  /** An enforcing rule. */
  public RuleConfig(
      String name,
      @Nullable Expression match,
      List<Action> actions,
      List<HeaderOperation> requestHeaderOperations,
      List<HeaderOperation> responseHeaderOperations,
      Source source) {
    this(name, match, actions, requestHeaderOperations, responseHeaderOperations, source, false);
  }

  public RuleConfig {
    requireNonNull(name, "name");
    actions = List.copyOf(actions);
    requestHeaderOperations = List.copyOf(requestHeaderOperations);
    responseHeaderOperations = List.copyOf(responseHeaderOperations);
    requireNonNull(source, "source");
  }
}
