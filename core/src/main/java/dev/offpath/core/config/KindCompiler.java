package dev.offpath.core.config;

import java.util.List;

/**
 * Compiles the config objects of one kind (attribute manifests, handlers, instances, rules, …)
 * into a {@link Compilation}. A new kind of config object is a new implementation, listed in
 * {@link PolicyCompiler}'s order: a kind is compiled after the kinds it may refer to.
 *
 * <p>Implementations are stateless; a load's state lives in its {@link Compilation}.
 */
interface KindCompiler {

  /** Whether objects of {@code apiVersion} and {@code kind} are this compiler's. */
  boolean accepts(String apiVersion, String kind, Compilation c);

  /** Validates {@code objects} (all of this kind, in file order) and records what they define. */
  void compile(List<ConfigObject> objects, Compilation c);
}
