package dev.offpath.core.runtime;

import dev.offpath.core.adapter.Handler;
import dev.offpath.core.config.HandlerConfig;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running handler and its config, owned by one engine until a successor takes it over ({@code
 * transferred}); the owner closes it only if it was not taken over.
 */
final class OwnedHandler {
  private static final Logger log = LoggerFactory.getLogger(PolicyEngine.class);

  final HandlerConfig config;
  final Handler handler;
  final AtomicBoolean transferred = new AtomicBoolean();

  OwnedHandler(HandlerConfig config, Handler handler) {
    this.config = config;
    this.handler = handler;
  }

  void closeQuietly() {
    try {
      handler.close();
    } catch (Exception e) {
      log.warn("closing handler '{}' failed", config.name(), e);
    }
  }
}
