package dev.offpath.core.config;

import static dev.offpath.core.config.YamlNodes.isNull;
import static dev.offpath.core.config.YamlNodes.text;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import dev.offpath.core.adapter.AdapterFactory;
import dev.offpath.core.config.ConfigError.Category;
import dev.offpath.core.config.References.Active;
import dev.offpath.core.config.References.Ambiguous;
import dev.offpath.core.config.References.Failed;
import dev.offpath.core.config.References.Found;
import dev.offpath.core.config.References.Key;
import dev.offpath.core.config.References.NotFound;
import dev.offpath.core.config.References.Resolution;
import dev.offpath.core.config.References.Skipped;
import dev.offpath.core.config.References.Slot;
import dev.offpath.core.config.YamlNodes.Entry;
import dev.offpath.core.remote.ParamsEncoder;
import dev.offpath.core.remote.ParamsEncoder.ParamsException;
import dev.offpath.core.remote.RemoteAdapters;
import dev.offpath.core.remote.RemoteConnection;
import dev.offpath.core.remote.RemoteFailurePolicy;
import dev.offpath.core.remote.RemoteHandlerConfig;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.nodes.Node;

/**
 * A {@code kind: handler} of an out-of-process adapter ({@code spec.adapter} names a {@code kind:
 * adapter} object; README "Out-of-process adapters"), called by {@link HandlerCompiler}: resolves
 * the adapter, reads {@code spec.connection} ({@link RemoteConnectionCompiler}), validates {@code
 * spec.params} against the adapter's {@code Params} message and encodes them once ({@link
 * ParamsEncoder}), and reads the failure policy from the annotation {@link
 * RemoteFailurePolicy#ANNOTATION}. The result is a {@link HandlerConfig} whose adapter is the
 * factory registered as {@link RemoteHandlerConfig#FACTORY_NAME} and whose config is a {@link
 * RemoteHandlerConfig}; without that factory in the registry the handler is an error.
 *
 * <p>Every problem of one handler is reported (category HANDLER) before it is marked failed.
 * Stateless.
 */
final class RemoteHandlerCompiler {

  private RemoteHandlerCompiler() {}

  /**
   * Compiles handler {@code o} (its spec's entries already read into {@code fields}) into {@code
   * c.handlers} under {@code key}.
   */
  static void compile(
      ConfigObject o, Key key, String what, Map<String, Entry> fields, Compilation c) {
    int errorsBefore = c.errorCount();
    Entry adapterEntry = fields.get("adapter");
    String ref = adapterEntry == null ? null : text(adapterEntry.value());
    if (adapterEntry == null || ref == null || ref.isBlank()) {
      c.error(o.at(o.specLine()), Category.HANDLER, what + ": adapter: expected an adapter name");
      c.handlers.put(key, new Failed<>(o.source()));
      return;
    }
    Entry compiled = fields.get("compiledAdapter");
    if (compiled != null) {
      c.error(
          o.at(compiled.line()),
          Category.HANDLER,
          what + ": both compiledAdapter and adapter (expected: one of them)");
    }
    Slot<RemoteAdapter> slot = resolve(ref, o, adapterEntry.line(), what, c);
    if (slot instanceof Skipped<RemoteAdapter> skipped) {
      c.warning(o.source(), what + ": " + skipped.reason() + "; handler skipped");
      c.handlers.put(key, new Skipped<>(skipped.reason(), o.source()));
      return;
    }
    RemoteAdapter adapter = slot instanceof Active<RemoteAdapter> a ? a.value() : null;

    RemoteFailurePolicy policy = failurePolicy(o, what, c);
    RemoteConnection connection =
        new RemoteConnectionCompiler(o, what, c).compile(fields.get("connection"));

    String typeUrl = null;
    ByteString params = null;
    if (adapter != null) {
      Entry p = fields.get("params");
      ByteString encoded = params(o, what, adapter, p, c);
      Descriptor type = adapter.params();
      if (encoded != null && type != null && !adapter.sessionBased()) {
        typeUrl = RemoteAdapters.typeUrl(type);
        params = encoded;
      }
    }

    AdapterFactory<?> factory = c.adapters.find(RemoteHandlerConfig.FACTORY_NAME);
    if (factory == null) {
      c.error(
          o.source(),
          Category.HANDLER,
          what
              + ": out-of-process adapters are not available in this build (no adapter factory '"
              + RemoteHandlerConfig.FACTORY_NAME
              + "' installed)");
    }
    if (c.errorCount() != errorsBefore
        || adapter == null
        || connection == null
        || factory == null) {
      c.handlers.put(key, new Failed<>(o.source()));
      return;
    }
    RemoteHandlerConfig config =
        new RemoteHandlerConfig(
            adapter.name(),
            adapter.sessionBased(),
            adapter.templates(),
            connection,
            typeUrl,
            params,
            policy);
    c.handlers.put(
        key, new Active<>(new HandlerConfig(key.fqn(), factory, config, o.source()), o.source()));
  }

  /** The adapter's slot; null after reporting when no such adapter exists. */
  private static @Nullable Slot<RemoteAdapter> resolve(
      String ref, ConfigObject o, int line, String what, Compilation c) {
    Resolution<RemoteAdapter> r = c.remoteAdapters.resolve(ref.trim(), o.namespace());
    return switch (r) {
      case Found<RemoteAdapter> found -> found.slot();
      case NotFound<RemoteAdapter> notFound -> {
        c.error(
            o.at(line),
            Category.HANDLER,
            what
                + ": adapter '"
                + ref
                + "' not found (expected: a kind: adapter object "
                + notFound.expected()
                + ")");
        yield null;
      }
      case Ambiguous<RemoteAdapter> ambiguous -> {
        c.error(
            o.at(line),
            Category.HANDLER,
            what + ": adapter '" + ref + "' is ambiguous (matches " + ambiguous.candidates() + ")");
        yield null;
      }
    };
  }

  /** README "Out-of-process adapters": FAIL_CLOSE unless the annotation says FAIL_OPEN. */
  private static RemoteFailurePolicy failurePolicy(ConfigObject o, String what, Compilation c) {
    String text = o.annotations().get(RemoteFailurePolicy.ANNOTATION);
    if (text == null) {
      return RemoteFailurePolicy.FAIL_CLOSE;
    }
    for (RemoteFailurePolicy p : RemoteFailurePolicy.values()) {
      if (p.name().equals(text.trim())) {
        return p;
      }
    }
    c.error(
        o.source(),
        Category.HANDLER,
        what
            + ": metadata.annotations."
            + RemoteFailurePolicy.ANNOTATION
            + ": '"
            + text
            + "' (expected: FAIL_CLOSE or FAIL_OPEN)");
    return RemoteFailurePolicy.FAIL_CLOSE;
  }

  /**
   * The handler's params encoded against the adapter's {@code Params} ({@link ByteString#EMPTY}
   * when there are none); null after reporting an error at the offending value's line.
   */
  private static @Nullable ByteString params(
      ConfigObject o, String what, RemoteAdapter adapter, @Nullable Entry p, Compilation c) {
    Node node = p == null ? null : p.value();
    int line = p == null ? o.specLine() : p.line();
    Object raw =
        node == null || isNull(node)
            ? Map.of()
            : YamlNodes.toJava(node, c.duplicates(o.source().file(), Category.HANDLER, what));
    if (!(raw instanceof Map<?, ?> map)) {
      c.error(o.at(line), Category.HANDLER, what + ": params: expected a map");
      return null;
    }
    Descriptor type = adapter.params();
    if (type == null) {
      if (!map.isEmpty()) {
        c.error(
            o.at(line),
            Category.HANDLER,
            what
                + ": params: adapter '"
                + adapter.name()
                + "' takes no params (its kind: adapter object has no config)");
        return null;
      }
      return ByteString.EMPTY;
    }
    try {
      return ParamsEncoder.encode(type, map);
    } catch (ParamsException e) {
      int at = YamlNodes.lineOf(node, e.path(), line);
      String path = e.path().isEmpty() ? "params" : "params." + e.path();
      c.error(o.at(at), Category.HANDLER, what + ": " + path + ": " + e.reason());
      return null;
    }
  }
}
