package dev.offpath.core.config;

import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.config.ConfigDocuments.Document;
import dev.offpath.core.config.ConfigError.Category;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Validates the documents of one load into a {@link PolicyConfig}.
 *
 * <p>Each document's envelope is read ({@link ObjectReader}) and the object handed to the {@link
 * KindCompiler} that accepts its apiVersion and kind. The compilers then run in {@link #KINDS}
 * order, which is dependency order as in Mixer's runtime: attribute manifests (which every
 * expression is checked against), out-of-process templates and adapters, handlers, Istio's RBAC
 * objects (handed to the handlers that consume them, {@link RbacCompiler}), instances, and rules,
 * whose references resolve through {@link References}. Each object is validated on its own, so one bad object never hides the errors
 * of another; an object with errors is remembered as failed and references to it stay quiet rather
 * than adding "not found" noise.
 *
 * <p>An object no compiler accepts: Offpath's own kinds ({@code offpath.dev/...}, read by their own
 * loaders from the same documents) are passed over silently; objects of other apiVersions, and
 * capitalised kinds ({@code DestinationRule}, {@code QuotaSpec}, …), load with a warning and are
 * skipped; any other kind under a Mixer apiVersion is an error.
 *
 * <p>Not thread-safe; used by one load and dropped.
 */
final class PolicyCompiler {

  static final String CONFIG_V1ALPHA2 = "config.istio.io/v1alpha2";
  static final String POLICY_V1BETA1 = "policy.istio.io/v1beta1";

  /** Offpath's own kinds ({@code EnvoyProxy}, read by the control plane) share the files. */
  static final String OFFPATH_GROUP = "offpath.dev/";

  private static final KindCompiler HANDLERS = new HandlerCompiler();
  private static final KindCompiler INSTANCES = new InstanceCompiler();

  /** Every kind, in compile order: a kind may refer only to kinds before it. */
  private static final List<KindCompiler> KINDS =
      List.of(
          new ManifestCompiler(),
          new TemplateKindCompiler(),
          new AdapterKindCompiler(),
          HANDLERS,
          new RbacCompiler(),
          INSTANCES,
          new RuleCompiler());

  /**
   * The order kinds are asked to accept an object: Istio 1.0 named some templates and adapters
   * alike ({@code kind: kubernetes} is the template, {@code kubernetesenv} the adapter, but both
   * lists know both), and a per-kind object whose kind is a template name is an instance.
   */
  private static final List<KindCompiler> CLASSIFY_ORDER = classifyOrder();

  private static List<KindCompiler> classifyOrder() {
    List<KindCompiler> order = new ArrayList<>(KINDS);
    order.remove(INSTANCES);
    order.add(order.indexOf(HANDLERS), INSTANCES);
    return List.copyOf(order);
  }

  private final Compilation compilation;
  private final Map<KindCompiler, List<ConfigObject>> objects = new LinkedHashMap<>();

  PolicyCompiler(AdapterRegistry adapters) {
    this.compilation = new Compilation(adapters);
    for (KindCompiler kind : KINDS) {
      objects.put(kind, new ArrayList<>());
    }
  }

  /** Whether {@code apiVersion} is one Mixer read its generic kinds from. */
  static boolean isMixer(String apiVersion) {
    return apiVersion.equals(CONFIG_V1ALPHA2) || apiVersion.equals(POLICY_V1BETA1);
  }

  /** Compiles {@code documents}; their read and parse errors are reported with the rest. */
  PolicyConfig compile(ConfigDocuments documents) throws ConfigException {
    Compilation c = compilation;
    for (String file : documents.files()) {
      c.diagnostics.file(file);
    }
    for (ConfigError e : documents.errors()) {
      c.error(e.source(), e.category(), e.message());
    }
    for (Document document : documents.documents()) {
      ConfigObject o = ObjectReader.read(document, c);
      if (o != null) {
        classify(o);
      }
    }
    objects.forEach((kind, list) -> kind.compile(list, c));
    return c.result();
  }

  private void classify(ConfigObject o) {
    KindCompiler kind = compilerOf(o);
    if (kind != null) {
      Objects.requireNonNull(objects.get(kind)).add(o);
      return;
    }
    if (o.apiVersion().startsWith(OFFPATH_GROUP)) {
      return;
    }
    if (!o.apiVersion().equals(CONFIG_V1ALPHA2) || Character.isUpperCase(o.kind().charAt(0))) {
      compilation.warning(
          o.source(),
          o.kind()
              + " '"
              + o.qualifiedName()
              + "' ("
              + o.apiVersion()
              + ") is not Mixer config; skipped");
      return;
    }
    compilation.error(
        o.source(),
        Category.SYNTAX,
        "unknown kind '"
            + o.kind()
            + "' (expected: handler, instance, rule, attributemanifest, template, adapter, or an"
            + " adapter or template name)");
  }

  private @Nullable KindCompiler compilerOf(ConfigObject o) {
    for (KindCompiler kind : CLASSIFY_ORDER) {
      if (kind.accepts(o.apiVersion(), o.kind(), compilation)) {
        return kind;
      }
    }
    return null;
  }
}
