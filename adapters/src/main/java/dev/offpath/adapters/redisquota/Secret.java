package dev.offpath.adapters.redisquota;

import static java.util.Objects.requireNonNull;

/**
 * A password that must never be printed: {@link #toString()} is a fixed mask, so it is safe in
 * records, logs and error messages by construction; only {@link #reveal()} gives the value, and
 * only the code that hands it to Lettuce calls it.
 */
public final class Secret {

  private final String value;

  Secret(String value) {
    this.value = requireNonNull(value, "value");
  }

  /** The password, for the Redis client's AUTH and nothing else. */
  String reveal() {
    return value;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Secret s && s.value.equals(value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  @Override
  public String toString() {
    return "***";
  }
}
