package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

import java.util.List;
import org.jspecify.annotations.Nullable;

/** A rule action: instances dispatched to one handler. References are resolved at load. */
public record Action(HandlerConfig handler, List<InstanceConfig> instances, @Nullable String name) {

  public Action {
    requireNonNull(handler, "handler");
    instances = List.copyOf(instances);
  }
}
