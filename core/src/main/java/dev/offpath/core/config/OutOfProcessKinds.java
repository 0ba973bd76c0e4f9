package dev.offpath.core.config;

import java.util.List;

/**
 * Istio 1.1's {@code adapter} and {@code template} objects, which describe out-of-process adapters
 * and their templates. Offpath does not call out-of-process adapters yet: each object loads with a
 * warning and is skipped, and so are the handlers and instances that name them.
 */
final class OutOfProcessKinds implements KindCompiler {

  @Override
  public boolean accepts(String apiVersion, String kind, Compilation c) {
    return (kind.equals("adapter") || kind.equals("template")) && PolicyCompiler.isMixer(apiVersion);
  }

  @Override
  public void compile(List<ConfigObject> objects, Compilation c) {
    for (ConfigObject o : objects) {
      c.warning(
          o.source(),
          o.kind()
              + " '"
              + o.qualifiedName()
              + "' describes an out-of-process "
              + o.kind()
              + ", which is not supported; skipped");
    }
  }
}
