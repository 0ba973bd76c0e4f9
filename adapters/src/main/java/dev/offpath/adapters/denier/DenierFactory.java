package dev.offpath.adapters.denier;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.AdapterFactory;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.adapter.StatusCode;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Mixer's {@code denier} adapter. Params as in Istio 1.1: {@code status} ({@code code} as a
 * google.rpc.Code number or name, {@code message}), {@code validDuration} (default 5s) and {@code
 * validUseCount} (default 1000). A missing code, or code 0, means FAILED_PRECONDITION, Mixer's
 * default status; a denier that answers OK would be a no-op.
 */
public final class DenierFactory implements AdapterFactory<DenierConfig> {

  static final Duration DEFAULT_VALID_DURATION = Duration.ofSeconds(5);
  static final int DEFAULT_VALID_USE_COUNT = 1000;

  @Override
  public String name() {
    return "denier";
  }

  @Override
  public Set<String> templates() {
    return Set.of("checknothing", "listentry", "quota");
  }

  @Override
  public DenierConfig parse(Params params) throws AdapterConfigException {
    requireNonNull(params, "params");
    StatusCode code = StatusCode.FAILED_PRECONDITION;
    String message = "";
    Params status = params.object("status");
    if (status != null) {
      StatusCode parsed = parseCode(status, status.string("code"));
      if (parsed != null && parsed != StatusCode.OK) {
        code = parsed;
      }
      message = status.string("message", "");
      status.rejectUnknown();
    }
    Duration validDuration = params.duration("validDuration", DEFAULT_VALID_DURATION);
    if (validDuration.isNegative()) {
      throw params.invalid("validDuration", params.string("validDuration") + " (expected: >= 0)");
    }
    long validUseCount = params.longValue("validUseCount", DEFAULT_VALID_USE_COUNT);
    if (validUseCount < 0 || validUseCount > Integer.MAX_VALUE) {
      throw params.invalid(
          "validUseCount", validUseCount + " (expected: 0 to " + Integer.MAX_VALUE + ")");
    }
    params.rejectUnknown();
    return new DenierConfig(PolicyStatus.of(code, message), validDuration, (int) validUseCount);
  }

  private static @Nullable StatusCode parseCode(Params status, @Nullable String text)
      throws AdapterConfigException {
    if (text == null) {
      return null;
    }
    String t = text.trim();
    try {
      int number = Integer.parseInt(t);
      if (number >= 0 && number < StatusCode.values().length) {
        return StatusCode.forNumber(number);
      }
    } catch (NumberFormatException e) {
      for (StatusCode c : StatusCode.values()) {
        if (c.name().equals(t.toUpperCase(Locale.ROOT))) {
          return c;
        }
      }
    }
    throw status.invalid(
        "code",
        text + " (expected: a google.rpc.Code number 0-16 or name such as PERMISSION_DENIED)");
  }

  @Override
  public Handler create(DenierConfig config, AdapterEnvironment environment) {
    return new DenierHandler(requireNonNull(config, "config"));
  }
}
