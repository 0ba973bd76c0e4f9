package dev.offpath.core.config;

import static dev.offpath.core.config.YamlNodes.isNull;
import static dev.offpath.core.config.YamlNodes.text;

import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterFactory;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.config.ConfigError.Category;
import dev.offpath.core.config.References.Active;
import dev.offpath.core.config.References.Failed;
import dev.offpath.core.config.References.Key;
import dev.offpath.core.config.References.Skipped;
import dev.offpath.core.config.YamlNodes.Entry;
import dev.offpath.core.remote.RemoteHandlerConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Handlers: Istio 1.1's {@code handler} ({@code spec.compiledAdapter} + {@code spec.params}) and
 * Istio 1.0's per-adapter kinds ({@code kind: denier}, {@code listchecker}, {@code memquota}, …)
 * whose spec is the params. Params are parsed by the adapter's {@link AdapterFactory#parse}; an
 * error names the line of the offending param.
 *
 * <p>A handler of an out-of-process adapter ({@code spec.adapter} instead of {@code
 * compiledAdapter}) is compiled by {@link RemoteHandlerCompiler}. Skipped with a warning: handlers
 * of adapters in {@link AdapterRegistry#KNOWN_UNSUPPORTED}. {@code spec.connection} beside {@code
 * compiledAdapter} has no effect and is named in a warning.
 */
final class HandlerCompiler implements KindCompiler {

  @Override
  public boolean accepts(String apiVersion, String kind, Compilation c) {
    if (kind.equals(Compilation.HANDLER)) {
      return PolicyCompiler.isMixer(apiVersion);
    }
    return apiVersion.equals(PolicyCompiler.CONFIG_V1ALPHA2)
        && !kind.equals(RemoteHandlerConfig.FACTORY_NAME)
        && (c.adapters.find(kind) != null || AdapterRegistry.KNOWN_UNSUPPORTED.contains(kind));
  }

  @Override
  public void compile(List<ConfigObject> objects, Compilation c) {
    for (ConfigObject o : objects) {
      handler(o, c);
    }
  }

  private static void handler(ConfigObject o, Compilation c) {
    References<HandlerConfig> handlers = c.handlers;
    Key key = handlers.key(o.name(), o.generic() ? Compilation.HANDLER : o.kind(), o.namespace());
    String what = "handler '" + key.fqn() + "'";
    if (c.duplicate(handlers, key, o, Category.HANDLER, what)) {
      return;
    }
    String adapterName;
    @Nullable Node params;
    int paramsLine;
    int adapterLine;
    if (o.generic()) {
      MappingNode spec = c.specOrFailed(handlers, key, o, Category.HANDLER, what);
      if (spec == null) {
        return;
      }
      Map<String, Entry> fields =
          c.known(
              o, spec, Category.HANDLER, what, "compiledAdapter", "adapter", "params", "connection");
      if (fields.get("adapter") != null) {
        RemoteHandlerCompiler.compile(o, key, what, fields, c);
        return;
      }
      Entry compiled = fields.get("compiledAdapter");
      String name = compiled == null ? null : text(compiled.value());
      if (compiled == null || name == null || name.isBlank()) {
        c.error(o.at(o.specLine()), Category.HANDLER, what + ": missing compiledAdapter");
        handlers.put(key, new Failed<>(o.source()));
        return;
      }
      c.unsupportedField(
          o,
          fields.get("connection"),
          what,
          "ignored (it addresses out-of-process adapters; '" + name + "' runs in process)");
      adapterName = name;
      adapterLine = compiled.line();
      Entry p = fields.get("params");
      params = p == null ? null : p.value();
      paramsLine = p == null ? o.specLine() : p.line();
    } else {
      adapterName = o.kind();
      adapterLine = o.source().line();
      params = o.spec();
      paramsLine = o.specLine();
    }
    AdapterFactory<?> factory =
        adapterName.equals(RemoteHandlerConfig.FACTORY_NAME) ? null : c.adapters.find(adapterName);
    if (factory == null) {
      if (AdapterRegistry.KNOWN_UNSUPPORTED.contains(adapterName)) {
        String reason = "adapter '" + adapterName + "' is not supported";
        c.warning(o.source(), what + ": " + reason + "; handler skipped");
        handlers.put(key, new Skipped<>(reason, o.source()));
      } else {
        c.error(
            o.at(adapterLine),
            Category.HANDLER,
            what
                + ": unknown adapter '"
                + adapterName
                + "' (expected one of: "
                + String.join(", ", compiledAdapters(c))
                + ")");
        handlers.put(key, new Failed<>(o.source()));
      }
      return;
    }
    Object raw =
        params == null || isNull(params)
            ? Map.of()
            : YamlNodes.toJava(params, c.duplicates(o.source().file(), Category.HANDLER, what));
    if (!(raw instanceof Map<?, ?> map)) {
      c.error(o.at(paramsLine), Category.HANDLER, what + ": params: expected a map");
      handlers.put(key, new Failed<>(o.source()));
      return;
    }
    Map<String, Object> values = new LinkedHashMap<>();
    map.forEach((k, v) -> values.put(String.valueOf(k), v));
    try {
      Object parsed = factory.parse(Params.of(values));
      for (String warning : AdapterRegistry.warnings(factory, parsed)) {
        c.warning(o.source(), what + ": " + warning);
      }
      handlers.put(
          key, new Active<>(new HandlerConfig(key.fqn(), factory, parsed, o.source()), o.source()));
    } catch (AdapterConfigException e) {
      int line = YamlNodes.lineOf(params, e.path(), paramsLine);
      c.error(o.at(line), Category.HANDLER, what + ": " + e.getMessage());
      handlers.put(key, new Failed<>(o.source()));
    } catch (RuntimeException e) {
      c.error(o.at(paramsLine), Category.HANDLER, what + ": invalid params: " + e);
      handlers.put(key, new Failed<>(o.source()));
    }
  }

  /** The in-process adapters' names, sorted; the out-of-process factory is not one. */
  private static TreeSet<String> compiledAdapters(Compilation c) {
    TreeSet<String> names = new TreeSet<>(c.adapters.names());
    names.remove(RemoteHandlerConfig.FACTORY_NAME);
    return names;
  }
}
