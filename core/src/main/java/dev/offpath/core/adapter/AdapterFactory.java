package dev.offpath.core.adapter;

import java.util.List;
import java.util.Set;

/**
 * The adapter SPI: one implementation per adapter kind ({@code denier}, {@code listchecker}, {@code
 * memquota}, …). Parsing is separate from instantiation so that a config can be validated fully
 * ({@code offpath validate}, a reload) without starting anything.
 *
 * <p>To add an adapter: implement this interface with a public no-arg constructor, list the class in
 * {@code META-INF/services/dev.offpath.core.adapter.AdapterFactory}, and implement {@link
 * CheckHandler}, {@link QuotaHandler} and/or {@link ReportHandler} in the handler it creates.
 *
 * @param <C> the adapter's parsed, immutable config; its {@code equals} decides whether a reload can
 *     keep the running handler
 */
public interface AdapterFactory<C> {

  /** The adapter name as used by {@code compiledAdapter:} and the Istio 1.0 kind ({@code denier}). */
  String name();

  /** The templates its handlers accept ({@code checknothing}, {@code listentry}, {@code quota}, …). */
  Set<String> templates();

  /** Validates and parses handler params. Pure: no I/O, no threads. */
  C parse(Params params) throws AdapterConfigException;

  /**
   * What the loader should warn about in parsed params (a param accepted but not used, say), one
   * message each; reported at the handler's line. Pure.
   */
  default List<String> warnings(C config) {
    return List.of();
  }

  /** Creates a running handler from parsed config. */
  Handler create(C config, AdapterEnvironment environment);
}
