package dev.offpath.core.runtime;

import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.adapter.AsyncCheckHandler;
import dev.offpath.core.adapter.CheckHandler;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.config.Action;
import dev.offpath.core.config.ConfigError;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.config.HandlerConfig;
import dev.offpath.core.config.InstanceConfig;
import dev.offpath.core.config.PolicyConfig;
import dev.offpath.core.config.RuleConfig;
import dev.offpath.core.config.Variety;
import dev.offpath.core.runtime.ActionRunner.CheckAction;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handlers of an engine being built ({@link PolicyEngine#create}): created through the {@link
 * AdapterRegistry}, or taken over from the previous engine when name, adapter and parsed config are
 * equal; the shadow handlers of dry-run quota rules; and each handler typed once for the variety of
 * the instances it takes. A handler that cannot start is a {@link ConfigException} at its source
 * line. Static helpers, used on the reload thread only.
 */
final class EngineHandlers {

  private static final Logger log = LoggerFactory.getLogger(PolicyEngine.class);

  private EngineHandlers() {}

  /** A check instance bound to its handler: an in-process one, or an out-of-process adapter. */
  static CheckAction checkAction(OwnedHandler owned, InstanceConfig instance)
      throws ConfigException {
    if (owned.handler instanceof AsyncCheckHandler async) {
      return new CheckAction(owned, null, async, instance);
    }
    return new CheckAction(owned, typed(owned, CheckHandler.class, instance), null, instance);
  }

  /**
   * The handler as the type its instance's variety needs. The loader checked that the adapter
   * declares the template, so a mismatch is the adapter's bug, refused like a handler that cannot
   * start.
   */
  static <T> T typed(OwnedHandler owned, Class<T> type, InstanceConfig instance)
      throws ConfigException {
    if (type.isInstance(owned.handler)) {
      return type.cast(owned.handler);
    }
    throw startFailure(
        owned.config,
        "adapter '"
            + owned.config.adapter().name()
            + "' declares template "
            + instance.template()
            + " but its handler is not a "
            + type.getSimpleName());
  }

  /**
   * Creates the handlers {@code configs} (shadows when {@code dryRun}) into {@code into}, or takes
   * them over from {@code previous}; records which in {@code created} / {@code takenOver}.
   */
  static void build(
      Collection<HandlerConfig> configs,
      boolean dryRun,
      RuntimeServices services,
      @Nullable Map<String, OwnedHandler> previous,
      Map<String, OwnedHandler> into,
      List<OwnedHandler> created,
      List<OwnedHandler> takenOver)
      throws ConfigException {
    for (HandlerConfig hc : configs) {
      OwnedHandler reusable =
          previous == null ? null : reusable(previous, hc);
      if (reusable != null) {
        into.put(hc.name(), new OwnedHandler(hc, reusable.handler));
        takenOver.add(reusable);
        continue;
      }
      Handler handler;
      try {
        handler =
            AdapterRegistry.create(
                hc.adapter(),
                hc.adapterConfig(),
                new HandlerEnvironment(
                    services.ticker(),
                    services.clock(),
                    services.scheduler(),
                    hc.name(),
                    dryRun,
                    services.tracer()));
      } catch (RuntimeException e) {
        log.warn("handler '{}' cannot start", hc.name(), e);
        throw startFailure(hc, describe(e));
      }
      OwnedHandler owned = new OwnedHandler(hc, handler);
      created.add(owned);
      into.put(hc.name(), owned);
    }
  }

  /** The handlers that quota instances of dry-run rules are dispatched to (shadowed), each once. */
  static Collection<HandlerConfig> shadowed(PolicyConfig config) {
    Map<String, HandlerConfig> out = new LinkedHashMap<>();
    for (RuleConfig rule : config.rules()) {
      if (!rule.dryRun()) {
        continue;
      }
      for (Action action : rule.actions()) {
        for (InstanceConfig instance : action.instances()) {
          if (instance.variety() == Variety.QUOTA) {
            out.putIfAbsent(action.handler().name(), action.handler());
          }
        }
      }
    }
    return out.values();
  }

  static ConfigException startFailure(HandlerConfig hc, String reason) {
    return new ConfigException(
        List.of(
            new ConfigError(
                hc.source(),
                ConfigError.Category.HANDLER,
                "handler '" + hc.name() + "': cannot start: " + reason)));
  }

  /** An exception's own words, without its class name unless it has none. */
  private static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }

  /** The handler of {@code handlers} for {@code next}, when {@code next} configures it the same way. */
  private static @Nullable OwnedHandler reusable(Map<String, OwnedHandler> handlers, HandlerConfig next) {
    OwnedHandler h = handlers.get(next.name());
    if (h != null
        && !h.transferred.get()
        && h.config.adapter().name().equals(next.adapter().name())
        && h.config.adapterConfig().equals(next.adapterConfig())) {
      return h;
    }
    return null;
  }
}
