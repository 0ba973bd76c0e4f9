package dev.offpath.adapters.denier;

import dev.offpath.core.adapter.CheckHandler;
import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.QuotaArgs;
import dev.offpath.core.adapter.QuotaHandler;
import dev.offpath.core.adapter.QuotaResult;
import java.time.Duration;

/**
 * Answers every check with the configured status and every quota request with nothing granted.
 * Mixer's denier returned an empty quota result (status OK, amount 0); this one carries the
 * configured status so that the denial explains itself. Both answers are built once; stateless and
 * thread-safe.
 */
final class DenierHandler implements CheckHandler, QuotaHandler {

  private final CheckResult checkResult;
  private final QuotaResult quotaResult;

  DenierHandler(DenierConfig config) {
    this.checkResult =
        new CheckResult(config.status(), config.validDuration(), config.validUseCount());
    this.quotaResult = new QuotaResult(config.status(), 0, Duration.ZERO);
  }

  @Override
  public CheckResult check(Instance instance) {
    return checkResult;
  }

  @Override
  public QuotaResult allocate(Instance instance, QuotaArgs args) {
    return quotaResult;
  }
}
