package dev.offpath.core.config;

import dev.offpath.core.remote.RemoteHandlerConfig;
import dev.offpath.core.remote.RemoteTemplate;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Whether a rule action may dispatch an instance to a handler when either is out of process
 * (README "Out-of-process adapters"): a handler of an out-of-process adapter takes only instances
 * of the {@code kind: template} objects its adapter lists; a compiled-in handler never takes an
 * instance of an out-of-process template, nor the reverse, even when the template names coincide
 * ({@code listentry} is both). Used by {@link RuleCompiler}. Stateless.
 */
final class RemoteActionCheck {

  private RemoteActionCheck() {}

  /** Whether the pairing is this check's to decide (either side is out of process). */
  static boolean applies(HandlerConfig handler, InstanceConfig instance) {
    return handler.adapterConfig() instanceof RemoteHandlerConfig || instance.isRemote();
  }

  /** Why {@code instance} cannot be dispatched to {@code handler}, or null when it can. */
  static @Nullable String problem(HandlerConfig handler, InstanceConfig instance) {
    if (handler.adapterConfig() instanceof RemoteHandlerConfig remote) {
      String serves =
          String.join(", ", remote.templates().stream().map(RemoteTemplate::name).toList());
      if (!instance.isRemote()) {
        return "instance '"
            + instance.name()
            + "' of compiled-in template "
            + instance.template()
            + " cannot be dispatched to handler '"
            + handler.name()
            + "' of out-of-process adapter "
            + remote.adapter()
            + " (it serves the kind: template objects "
            + serves
            + ")";
      }
      RemoteTemplate template = Objects.requireNonNull(instance.remoteTemplate(), "remote");
      if (!remote.templates().contains(template)) {
        return "instance '"
            + instance.name()
            + "' of template "
            + instance.template()
            + " is not served by handler '"
            + handler.name()
            + "' (adapter "
            + remote.adapter()
            + " serves: "
            + serves
            + ")";
      }
      return null;
    }
    return "instance '"
        + instance.name()
        + "' of out-of-process template "
        + instance.template()
        + " (a kind: template object) cannot be dispatched to handler '"
        + handler.name()
        + "' of compiled-in adapter "
        + handler.adapter().name();
  }
}
