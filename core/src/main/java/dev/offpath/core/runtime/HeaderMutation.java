package dev.offpath.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.config.HeaderOperation.Operation;

/** One evaluated header operation of a matched rule, ready for a front door to apply. */
public record HeaderMutation(String name, String value, Operation operation) {

  public HeaderMutation {
    requireNonNull(name, "name");
    requireNonNull(value, "value");
    requireNonNull(operation, "operation");
  }
}
