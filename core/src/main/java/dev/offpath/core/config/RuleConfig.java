package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.expr.Expression;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A validated rule: a BOOL {@code match} expression ({@code null} = always matches), actions, and header
 * operations applied when the request is allowed.
 */
public record RuleConfig(
    String name,
    @Nullable Expression match,
    List<Action> actions,
    List<HeaderOperation> requestHeaderOperations,
    List<HeaderOperation> responseHeaderOperations,
    Source source) {

  public RuleConfig {
    requireNonNull(name, "name");
    actions = List.copyOf(actions);
    requestHeaderOperations = List.copyOf(requestHeaderOperations);
    responseHeaderOperations = List.copyOf(responseHeaderOperations);
    requireNonNull(source, "source");
  }
}
