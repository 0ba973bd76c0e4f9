package dev.offpath.core.config;

import static dev.offpath.core.config.YamlNodes.entries;
import static dev.offpath.core.config.YamlNodes.isNull;
import static dev.offpath.core.config.YamlNodes.line;
import static dev.offpath.core.config.YamlNodes.text;

import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterFactory;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.attribute.Vocabulary;
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
import dev.offpath.core.config.YamlNodes.DuplicateKeys;
import dev.offpath.core.config.YamlNodes.Entry;
import dev.offpath.core.expr.Expression;
import dev.offpath.core.expr.ExpressionCompiler;
import dev.offpath.core.expr.ExpressionException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Validates a set of Mixer config documents into a {@link PolicyConfig}; one instance per load.
 *
 * <p>Documents are first classified by apiVersion and kind (see {@link ConfigLoader}), then
 * validated in dependency order, as Mixer's runtime did: attribute manifests (which every
 * expression is checked against), handlers, instances, and rules, whose references resolve through
 * {@link References}. Each object is validated on its own, so one bad object never hides the errors
 * of another; an object with errors is remembered as failed and references to it stay quiet rather
 * than adding "not found" noise.
 *
 * <p>Not thread-safe; used by one load and dropped.
 */
final class PolicyCompiler {

  /**
   * The namespace of an object whose metadata names none: Mixer's default config namespace ({@code
   * --configDefaultNamespace}, {@code istio-system}). Istio's bookinfo policy samples rely on it:
   * their rules without a namespace reference handlers in {@code istio-system}.
   */
  static final String DEFAULT_NAMESPACE = "istio-system";

  static final String CONFIG_V1ALPHA2 = "config.istio.io/v1alpha2";
  static final String POLICY_V1BETA1 = "policy.istio.io/v1beta1";

  /** Offpath's own kinds ({@code EnvoyProxy}, read by the control plane) share the files. */
  static final String OFFPATH_GROUP = "offpath.dev/";

  private static final String HANDLER = "handler";
  private static final String INSTANCE = "instance";
  private static final String RULE = "rule";
  private static final String MANIFEST = "attributemanifest";

  private final AdapterRegistry adapters;
  private final Diagnostics diagnostics = new Diagnostics();

  private final List<ConfigObject> manifestObjects = new ArrayList<>();
  private final List<ConfigObject> handlerObjects = new ArrayList<>();
  private final List<ConfigObject> instanceObjects = new ArrayList<>();
  private final List<ConfigObject> ruleObjects = new ArrayList<>();

  private final References<HandlerConfig> handlers = new References<>(HANDLER);
  private final References<InstanceConfig> instances = new References<>(INSTANCE);

  /** Errors reported so far; lets a rule tell whether its own validation found any. */
  private int errorCount;

  PolicyCompiler(AdapterRegistry adapters) {
    this.adapters = adapters;
  }

  // ---------------------------------------------------------------------------------------------
  // Reading documents

  /** A file that could not be read; line 0 stands for the file as a whole. */
  void unreadable(String file, String reason) {
    diagnostics.file(file);
    diagnostics.error(new Source(file, 0), Category.SYNTAX, "cannot read file: " + reason);
  }

  void addText(String file, String content) {
    diagnostics.file(file);
    Yaml yaml = new Yaml(new LoaderOptions());
    try {
      for (Node document : yaml.composeAll(new StringReader(content))) {
        addDocument(file, document);
      }
    } catch (MarkedYAMLException e) {
      Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      int line = mark == null ? 1 : mark.getLine() + 1;
      String problem = e.getProblem() == null ? "invalid YAML" : e.getProblem();
      String context = e.getContext();
      diagnostics.error(
          new Source(file, line),
          Category.SYNTAX,
          "invalid YAML: " + (context == null ? problem : context + ": " + problem));
    } catch (YAMLException e) {
      diagnostics.error(new Source(file, 1), Category.SYNTAX, "invalid YAML: " + e.getMessage());
    }
  }

  private void addDocument(String file, @Nullable Node root) {
    if (root == null || isNull(root)) {
      return;
    }
    Source source = new Source(file, line(root));
    if (!(root instanceof MappingNode mapping)) {
      diagnostics.error(
          source,
          Category.SYNTAX,
          "expected a config object (a mapping with apiVersion, kind, metadata and spec)");
      return;
    }
    Map<String, Entry> fields = entries(mapping, duplicates(file, Category.SYNTAX, ""));
    String kind = scalarField(fields, "kind");
    if (kind == null || kind.isBlank()) {
      diagnostics.error(source, Category.SYNTAX, "missing kind");
      return;
    }
    String apiVersion = scalarField(fields, "apiVersion");
    if (apiVersion == null || apiVersion.isBlank()) {
      diagnostics.error(source, Category.SYNTAX, kind + ": missing apiVersion");
      return;
    }
    Entry metadata = fields.get("metadata");
    Map<String, Entry> meta =
        metadata != null && metadata.value() instanceof MappingNode m
            ? entries(m, duplicates(file, Category.SYNTAX, kind + ": metadata"))
            : Map.of();
    String name = scalarField(meta, "name");
    if (name == null || name.isBlank()) {
      Source at = metadata == null ? source : new Source(file, metadata.line());
      diagnostics.error(at, Category.SYNTAX, kind + ": missing metadata.name");
      return;
    }
    String namespace = scalarField(meta, "namespace");
    if (namespace == null || namespace.isBlank()) {
      namespace = DEFAULT_NAMESPACE;
    }
    Entry spec = fields.get("spec");
    classify(
        apiVersion,
        new ConfigObject(
            kind,
            name,
            namespace,
            kind.equals(HANDLER) || kind.equals(INSTANCE),
            spec == null ? null : spec.value(),
            source,
            spec == null ? source.line() : spec.line(),
            meta.get("annotations") == null ? null : meta.get("annotations").value()));
  }

  private static @Nullable String scalarField(Map<String, Entry> fields, String key) {
    Entry e = fields.get(key);
    return e == null ? null : text(e.value());
  }

  private void classify(String apiVersion, ConfigObject o) {
    if (apiVersion.startsWith(OFFPATH_GROUP)) {
      return;
    }
    boolean v1alpha2 = apiVersion.equals(CONFIG_V1ALPHA2);
    if (!v1alpha2 && !apiVersion.equals(POLICY_V1BETA1)) {
      notMixer(o, apiVersion);
      return;
    }
    switch (o.kind()) {
      case MANIFEST -> manifestObjects.add(o);
      case RULE -> ruleObjects.add(o);
      case HANDLER -> handlerObjects.add(o);
      case INSTANCE -> instanceObjects.add(o);
      case "adapter", "template" ->
          diagnostics.warning(
              o.source(),
              o.kind()
                  + " '"
                  + o.name()
                  + "."
                  + o.namespace()
                  + "' describes an out-of-process "
                  + o.kind()
                  + ", which is not supported; skipped");
      default -> {
        if (!v1alpha2) {
          notMixer(o, apiVersion);
        } else if (Templates.isTemplateKind(o.kind())) {
          instanceObjects.add(o);
        } else if (isAdapterKind(o.kind())) {
          handlerObjects.add(o);
        } else if (Character.isUpperCase(o.kind().charAt(0))) {
          notMixer(o, apiVersion);
        } else {
          diagnostics.error(
              o.source(),
              Category.SYNTAX,
              "unknown kind '"
                  + o.kind()
                  + "' (expected: handler, instance, rule, attributemanifest, or an adapter or"
                  + " template name)");
        }
      }
    }
  }

  private void notMixer(ConfigObject o, String apiVersion) {
    diagnostics.warning(
        o.source(),
        o.kind()
            + " '"
            + o.name()
            + "."
            + o.namespace()
            + "' ("
            + apiVersion
            + ") is not Mixer config; skipped");
  }

  private boolean isAdapterKind(String kind) {
    return adapter(kind) != null || AdapterRegistry.KNOWN_UNSUPPORTED.contains(kind);
  }

  private @Nullable AdapterFactory<?> adapter(String name) {
    return adapters.find(name);
  }

  private DuplicateKeys duplicates(String file, Category category, String what) {
    return (key, line, firstLine) ->
        error(
            new Source(file, line),
            category,
            (what.isEmpty() ? "" : what + ": ")
                + "duplicate key '"
                + key
                + "' (first at line "
                + firstLine
                + ")");
  }

  // ---------------------------------------------------------------------------------------------
  // Validation

  PolicyConfig build() throws ConfigException {
    AttributeManifest manifest = manifests();
    handlerObjects.forEach(this::handler);
    instanceObjects.forEach(o -> instance(o, manifest));
    List<RuleConfig> rules = new ArrayList<>();
    Map<Key, Source> ruleKeys = new HashMap<>();
    for (ConfigObject o : ruleObjects) {
      RuleConfig r = rule(o, manifest, ruleKeys);
      if (r != null) {
        rules.add(r);
      }
    }
    if (diagnostics.hasErrors()) {
      throw new ConfigException(diagnostics.errors());
    }
    return new PolicyConfig(
        manifest, active(handlers), active(instances), rules, diagnostics.warnings());
  }

  private static <T> Map<String, T> active(References<T> refs) {
    Map<String, T> out = new LinkedHashMap<>();
    refs.forEachActive((key, value) -> out.put(key.fqn(), value));
    return out;
  }

  // --- attribute manifests

  private AttributeManifest manifests() {
    Map<String, ValueType> types = new HashMap<>(Vocabulary.builtin().all());
    Map<String, Source> declaredAt = new HashMap<>();
    Map<String, Source> seen = new HashMap<>();
    for (ConfigObject o : manifestObjects) {
      String what = "attributemanifest '" + o.name() + "." + o.namespace() + "'";
      if (duplicate(seen, o.name() + "." + o.namespace(), o, Category.MANIFEST, what)) {
        continue;
      }
      MappingNode spec = specMapping(o, Category.MANIFEST, what);
      if (spec == null) {
        continue;
      }
      DuplicateKeys dups = duplicates(o.source().file(), Category.MANIFEST, what);
      for (Entry field : entries(spec, dups).values()) {
        if (!field.key().equals("attributes")) {
          if (!field.key().equals("revision") && !field.key().equals("name")) {
            error(
                o.at(field.line()),
                Category.MANIFEST,
                what
                    + ": unknown field '"
                    + field.key()
                    + "' (expected: attributes, name, revision)");
          }
          continue;
        }
        if (isNull(field.value())) {
          continue;
        }
        if (!(field.value() instanceof MappingNode attributes)) {
          error(o.at(field.line()), Category.MANIFEST, what + ": attributes: expected a map");
          continue;
        }
        for (Entry attr : entries(attributes, dups).values()) {
          ValueType type = attributeType(o, what, attr);
          if (type == null) {
            continue;
          }
          Source at = o.at(attr.line());
          ValueType prior = types.get(attr.key());
          if (prior != null && prior != type) {
            Source priorAt = declaredAt.get(attr.key());
            error(
                at,
                Category.MANIFEST,
                what
                    + ": attribute '"
                    + attr.key()
                    + "' declared as "
                    + type
                    + " conflicts with "
                    + prior
                    + (priorAt == null ? " (built-in vocabulary)" : " declared at " + priorAt));
            continue;
          }
          types.put(attr.key(), type);
          declaredAt.putIfAbsent(attr.key(), at);
        }
      }
    }
    return AttributeManifest.of(types);
  }

  private @Nullable ValueType attributeType(ConfigObject o, String what, Entry attr) {
    String prefix = what + ": attribute '" + attr.key() + "': ";
    if (!(attr.value() instanceof MappingNode info)) {
      error(o.at(attr.line()), Category.MANIFEST, prefix + "expected a map with valueType");
      return null;
    }
    Entry valueType = null;
    for (Entry e : entries(info, duplicates(o.source().file(), Category.MANIFEST, what)).values()) {
      if (e.key().equals("valueType") || e.key().equals("value_type")) {
        valueType = e;
      }
    }
    String text = valueType == null ? null : text(valueType.value());
    if (text == null) {
      error(o.at(attr.line()), Category.MANIFEST, prefix + "missing valueType");
      return null;
    }
    try {
      return ValueType.valueOf(text.trim());
    } catch (IllegalArgumentException e) {
      error(
          o.at(valueType.line()),
          Category.MANIFEST,
          prefix + "valueType " + text + " (expected: one of " + enumNames() + ")");
      return null;
    }
  }

  private static String enumNames() {
    List<String> names = new ArrayList<>();
    for (ValueType t : ValueType.values()) {
      names.add(t.name());
    }
    return String.join(", ", names);
  }

  // --- handlers

  private void handler(ConfigObject o) {
    Key key = handlers.key(o.name(), o.generic() ? HANDLER : o.kind(), o.namespace());
    String what = "handler '" + key.fqn() + "'";
    if (duplicate(handlers, key, o, Category.HANDLER, what)) {
      return;
    }
    String adapterName;
    Node params;
    int paramsLine;
    int adapterLine;
    if (o.generic()) {
      MappingNode spec = specMapping(o, Category.HANDLER, what);
      if (spec == null) {
        handlers.put(key, new Failed<>(o.source()));
        return;
      }
      Map<String, Entry> fields =
          known(
              o,
              spec,
              Category.HANDLER,
              what,
              "compiledAdapter",
              "adapter",
              "params",
              "connection");
      Entry outOfProcess = fields.get("adapter");
      if (outOfProcess != null) {
        String reason =
            "out-of-process adapter '" + text(outOfProcess.value()) + "' is not supported";
        diagnostics.warning(o.source(), what + ": " + reason + "; handler skipped");
        handlers.put(key, new Skipped<>(reason, o.source()));
        return;
      }
      Entry compiled = fields.get("compiledAdapter");
      String name = compiled == null ? null : text(compiled.value());
      if (name == null || name.isBlank()) {
        error(o.at(o.specLine()), Category.HANDLER, what + ": missing compiledAdapter");
        handlers.put(key, new Failed<>(o.source()));
        return;
      }
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
    AdapterFactory<?> factory = adapter(adapterName);
    if (factory == null) {
      if (AdapterRegistry.KNOWN_UNSUPPORTED.contains(adapterName)) {
        String reason = "adapter '" + adapterName + "' is not supported";
        diagnostics.warning(o.source(), what + ": " + reason + "; handler skipped");
        handlers.put(key, new Skipped<>(reason, o.source()));
      } else {
        error(
            o.at(adapterLine),
            Category.HANDLER,
            what
                + ": unknown adapter '"
                + adapterName
                + "' (expected one of: "
                + String.join(", ", new TreeSet<>(adapters.names()))
                + ")");
        handlers.put(key, new Failed<>(o.source()));
      }
      return;
    }
    Object raw =
        isNull(params)
            ? Map.of()
            : YamlNodes.toJava(params, duplicates(o.source().file(), Category.HANDLER, what));
    if (!(raw instanceof Map<?, ?> map)) {
      error(o.at(paramsLine), Category.HANDLER, what + ": params: expected a map");
      handlers.put(key, new Failed<>(o.source()));
      return;
    }
    Map<String, Object> values = new LinkedHashMap<>();
    map.forEach((k, v) -> values.put(String.valueOf(k), v));
    try {
      Object parsed = factory.parse(Params.of(values));
      handlers.put(
          key, new Active<>(new HandlerConfig(key.fqn(), factory, parsed, o.source()), o.source()));
    } catch (AdapterConfigException e) {
      int line = YamlNodes.lineOf(params, e.path(), paramsLine);
      error(o.at(line), Category.HANDLER, what + ": " + e.getMessage());
      handlers.put(key, new Failed<>(o.source()));
    } catch (RuntimeException e) {
      error(o.at(paramsLine), Category.HANDLER, what + ": invalid params: " + e);
      handlers.put(key, new Failed<>(o.source()));
    }
  }

  // --- instances

  private void instance(ConfigObject o, AttributeManifest manifest) {
    Key key = instances.key(o.name(), o.generic() ? INSTANCE : o.kind(), o.namespace());
    String what = "instance '" + key.fqn() + "'";
    if (duplicate(instances, key, o, Category.INSTANCE, what)) {
      return;
    }
    String templateName;
    int templateLine;
    Node params;
    if (o.generic()) {
      MappingNode spec = specMapping(o, Category.INSTANCE, what);
      if (spec == null) {
        instances.put(key, new Failed<>(o.source()));
        return;
      }
      Map<String, Entry> fields =
          known(
              o,
              spec,
              Category.INSTANCE,
              what,
              "compiledTemplate",
              "template",
              "params",
              "attributeBindings");
      Entry t = fields.get("compiledTemplate");
      if (t == null) {
        t = fields.get("template");
      }
      String name = t == null ? null : text(t.value());
      if (name == null || name.isBlank()) {
        error(o.at(o.specLine()), Category.INSTANCE, what + ": missing compiledTemplate");
        instances.put(key, new Failed<>(o.source()));
        return;
      }
      templateName = name;
      templateLine = t.line();
      Entry p = fields.get("params");
      params = p == null ? null : p.value();
    } else {
      templateName = o.kind();
      templateLine = o.source().line();
      params = o.spec();
    }
    Templates.Template template = Templates.find(templateName);
    if (template == null) {
      if (Templates.KNOWN_UNSUPPORTED.contains(templateName)) {
        String reason = "template '" + templateName + "' is not supported";
        diagnostics.warning(o.source(), what + ": " + reason + "; instance skipped");
        instances.put(key, new Skipped<>(reason, o.source()));
      } else {
        error(
            o.at(templateLine),
            Category.INSTANCE,
            what
                + ": unknown template '"
                + templateName
                + "' (expected one of: "
                + String.join(", ", new TreeSet<>(Templates.names()))
                + ")");
        instances.put(key, new Failed<>(o.source()));
      }
      return;
    }
    FieldCompiler fields = new FieldCompiler(o, what, template.name(), manifest);
    fields.message(template.fields(), params, "", o.specLine());
    if (fields.failed) {
      instances.put(key, new Failed<>(o.source()));
    } else {
      instances.put(
          key,
          new Active<>(
              new InstanceConfig(key.fqn(), template.name(), fields.out, o.source()), o.source()));
    }
  }

  /** Compiles an instance's fields against its template's shape. */
  private final class FieldCompiler {
    final ConfigObject object;
    final String what;
    final String template;
    final AttributeManifest manifest;
    final Map<String, Expression> out = new LinkedHashMap<>();
    boolean failed;

    FieldCompiler(ConfigObject object, String what, String template, AttributeManifest manifest) {
      this.object = object;
      this.what = what;
      this.template = template;
      this.manifest = manifest;
    }

    void message(Templates.Message shape, @Nullable Node node, String prefix, int line) {
      if (isNull(node)) {
        return;
      }
      if (!(node instanceof MappingNode mapping)) {
        fail(line, (prefix.isEmpty() ? "params" : prefix) + ": expected a map of fields");
        return;
      }
      String dotted = prefix.isEmpty() ? "" : prefix + ".";
      DuplicateKeys dups = duplicates(object.source().file(), Category.INSTANCE, what);
      for (Entry e : entries(mapping, dups).values()) {
        String name = shape.fields().containsKey(e.key()) ? e.key() : YamlNodes.snake(e.key());
        Templates.Field field = shape.fields().get(name);
        String path = dotted + name;
        switch (field) {
          case null ->
              fail(
                  e.line(),
                  "unknown field '"
                      + dotted
                      + e.key()
                      + "' ("
                      + (shape.fields().isEmpty()
                          ? "template " + template + " has no fields"
                          : "expected: " + String.join(", ", shape.fields().keySet()))
                      + ")");
          case Templates.Ignored ignored -> {}
          case Templates.Expr expr -> expression(path, e, expr.type());
          case Templates.ExprMap map -> {
            if (isNull(e.value())) {
              continue;
            }
            if (!(e.value() instanceof MappingNode entries)) {
              fail(e.line(), path + ": expected a map of expressions");
              continue;
            }
            for (Entry item : entries(entries, dups).values()) {
              expression(path + "." + item.key(), item, null);
            }
          }
          case Templates.Message nested -> message(nested, e.value(), path, e.line());
        }
      }
    }

    private void expression(String path, Entry e, @Nullable ValueType required) {
      if (isNull(e.value())) {
        return;
      }
      String text = text(e.value());
      if (text == null) {
        fail(e.line(), path + ": expected an expression");
        return;
      }
      Expression x = compile(text, manifest, object.at(e.line()), Category.INSTANCE, what, path);
      if (x == null) {
        failed = true;
        return;
      }
      if (required != null && x.type() != required) {
        fail(e.line(), path + ": '" + text + "' is " + x.type() + " (expected: " + required + ")");
        return;
      }
      out.put(path, x);
    }

    private void fail(int line, String message) {
      failed = true;
      error(object.at(line), Category.INSTANCE, what + ": " + message);
    }
  }

  // --- rules

  private @Nullable RuleConfig rule(
      ConfigObject o, AttributeManifest manifest, Map<Key, Source> seen) {
    Key key = new Key(o.name(), RULE, o.namespace(), true);
    String what = "rule '" + key.fqn() + "'";
    int errorsBefore = errorCount;
    Source first = seen.putIfAbsent(key, o.source());
    if (first != null) {
      error(o.source(), Category.RULE, "duplicate " + what + " (first defined at " + first + ")");
      return null;
    }
    MappingNode spec = isNull(o.spec()) ? null : specMapping(o, Category.RULE, what);
    if (spec == null && !isNull(o.spec())) {
      return null;
    }
    Map<String, Entry> fields =
        spec == null
            ? Map.of()
            : known(
                o,
                spec,
                Category.RULE,
                what,
                "match",
                "actions",
                "requestHeaderOperations",
                "responseHeaderOperations",
                "sampling");

    Expression match = null;
    Entry m = fields.get("match");
    if (m != null && !isNull(m.value())) {
      String text = text(m.value());
      if (text == null) {
        error(o.at(m.line()), Category.RULE, what + ": match: expected an expression");
      } else if (!text.isBlank()) {
        match = compile(text, manifest, o.at(m.line()), Category.RULE, what, "match");
        if (match != null && match.type() != ValueType.BOOL) {
          error(
              o.at(m.line()),
              Category.RULE,
              what + ": match: '" + text + "' is " + match.type() + " (expected: BOOL)");
          match = null;
        }
      }
    }

    List<Action> actions = new ArrayList<>();
    int written = 0;
    Entry a = fields.get("actions");
    if (a != null && !isNull(a.value())) {
      if (a.value() instanceof SequenceNode list) {
        written = list.getValue().size();
        for (int i = 0; i < list.getValue().size(); i++) {
          Action action = action(o, what, "actions[" + i + "]", list.getValue().get(i));
          if (action != null) {
            actions.add(action);
          }
        }
      } else {
        error(o.at(a.line()), Category.RULE, what + ": actions: expected a list");
      }
    }

    List<HeaderOperation> request =
        headerOperations(o, what, fields, "requestHeaderOperations", manifest);
    List<HeaderOperation> response =
        headerOperations(o, what, fields, "responseHeaderOperations", manifest);

    Entry sampling = fields.get("sampling");
    if (sampling != null && !isNull(sampling.value())) {
      diagnostics.warning(
          o.at(sampling.line()),
          what + ": sampling is not supported; every matching request is dispatched");
    }

    boolean hasHeaderOperations = !request.isEmpty() || !response.isEmpty();
    if (written == 0 && !hasHeaderOperations && errorCount == errorsBefore) {
      error(
          o.source(),
          Category.RULE,
          what + ": no actions and no header operations (expected: at least one)");
      return null;
    }
    if (errorCount != errorsBefore) {
      return null;
    }
    if (actions.isEmpty() && !hasHeaderOperations) {
      diagnostics.warning(o.source(), what + ": no action left to dispatch; rule skipped");
      return null;
    }
    Boolean dryRun = dryRun(o, what);
    if (dryRun == null) {
      return null;
    }
    return new RuleConfig(key.fqn(), match, actions, request, response, o.source(), dryRun);
  }

  /**
   * The rule's {@code offpath.dev/dry-run} annotation: false when absent, null (an error reported)
   * when it is neither "true" nor "false".
   */
  private @Nullable Boolean dryRun(ConfigObject o, String what) {
    Node annotations = o.annotations();
    if (annotations == null || isNull(annotations)) {
      return false;
    }
    if (!(annotations instanceof MappingNode mapping)) {
      error(o.at(line(annotations)), Category.RULE, what + ": metadata.annotations: expected a mapping");
      return null;
    }
    Entry e =
        entries(mapping, duplicates(o.source().file(), Category.RULE, what + ": metadata.annotations"))
            .get(RuleConfig.DRY_RUN_ANNOTATION);
    if (e == null) {
      return false;
    }
    String value = text(e.value());
    if ("true".equals(value)) {
      return true;
    }
    if ("false".equals(value)) {
      return false;
    }
    error(
        o.at(e.line()),
        Category.RULE,
        what
            + ": annotation "
            + RuleConfig.DRY_RUN_ANNOTATION
            + ": '"
            + value
            + "' (expected: \"true\" or \"false\")");
    return null;
  }

  private @Nullable Action action(ConfigObject o, String what, String path, Node node) {
    if (!(node instanceof MappingNode mapping)) {
      error(
          o.at(line(node)),
          Category.RULE,
          what + ": " + path + ": expected a map with handler and instances");
      return null;
    }
    Map<String, Entry> fields =
        known(o, mapping, Category.RULE, what + ": " + path, "handler", "instances", "name");
    Entry h = fields.get("handler");
    String handlerRef = h == null ? null : text(h.value());
    if (handlerRef == null || handlerRef.isBlank()) {
      error(o.at(line(node)), Category.RULE, what + ": " + path + ": missing handler");
      return null;
    }
    Entry n = fields.get("name");
    String name = n == null ? null : text(n.value());

    boolean usable = true;
    HandlerConfig handler = null;
    String skippedBecause = null;
    Slot<HandlerConfig> hs = resolve(handlers, HANDLER, handlerRef, o, what, h.line());
    switch (hs) {
      case null -> usable = false;
      case Active<HandlerConfig> active -> handler = active.value();
      case Skipped<HandlerConfig> skipped -> skippedBecause = skipped.reason();
      case Failed<HandlerConfig> failed -> usable = false;
    }

    Entry is = fields.get("instances");
    List<Node> refs = new ArrayList<>();
    if (is == null || isNull(is.value())) {
      error(
          o.at(line(node)),
          Category.RULE,
          what + ": " + path + ": missing instances (expected: at least one)");
      return null;
    }
    if (is.value() instanceof SequenceNode list) {
      refs.addAll(list.getValue());
    } else {
      error(o.at(is.line()), Category.RULE, what + ": " + path + ": instances: expected a list");
      return null;
    }
    if (refs.isEmpty()) {
      error(
          o.at(is.line()),
          Category.RULE,
          what + ": " + path + ": instances: empty (expected: at least one)");
      return null;
    }

    List<InstanceConfig> resolved = new ArrayList<>();
    Set<String> unique = new LinkedHashSet<>();
    List<String> skippedInstances = new ArrayList<>();
    for (Node ref : refs) {
      String instanceRef = text(ref);
      if (instanceRef == null || instanceRef.isBlank()) {
        error(
            o.at(line(ref)),
            Category.RULE,
            what + ": " + path + ": instances: expected instance names");
        usable = false;
        continue;
      }
      Slot<InstanceConfig> slot = resolve(instances, INSTANCE, instanceRef, o, what, line(ref));
      switch (slot) {
        case null -> usable = false;
        case Failed<InstanceConfig> failed -> usable = false;
        case Skipped<InstanceConfig> skipped ->
            skippedInstances.add("instance '" + instanceRef + "': " + skipped.reason());
        case Active<InstanceConfig> active -> {
          InstanceConfig instance = active.value();
          if (!unique.add(instance.name())) {
            error(
                o.at(line(ref)),
                Category.RULE,
                what + ": " + path + ": instance '" + instance.name() + "' listed twice");
            usable = false;
          } else if (handler != null
              && !handler.adapter().templates().contains(instance.template())) {
            error(
                o.at(line(ref)),
                Category.RULE,
                what
                    + ": instance '"
                    + instance.name()
                    + "' of template "
                    + instance.template()
                    + " is not supported by handler '"
                    + handler.name()
                    + "' (adapter "
                    + handler.adapter().name()
                    + " accepts: "
                    + String.join(", ", new TreeSet<>(handler.adapter().templates()))
                    + ")");
            usable = false;
          } else {
            resolved.add(instance);
          }
        }
      }
    }
    if (!usable) {
      return null;
    }
    if (skippedBecause != null) {
      diagnostics.warning(
          o.at(h.line()),
          what + ": " + path + " on handler '" + handlerRef + "' skipped (" + skippedBecause + ")");
      return null;
    }
    for (String s : skippedInstances) {
      diagnostics.warning(
          o.at(is.line()), what + ": " + path + ": " + s + "; instance not dispatched");
    }
    if (resolved.isEmpty()) {
      diagnostics.warning(
          o.at(h.line()),
          what + ": " + path + " on handler '" + handlerRef + "' skipped (no supported instance)");
      return null;
    }
    return new Action(handler, resolved, name);
  }

  private <T> @Nullable Slot<T> resolve(
      References<T> refs, String category, String ref, ConfigObject o, String what, int line) {
    Resolution<T> r = refs.resolve(ref.trim(), o.namespace());
    return switch (r) {
      case Found<T> found -> found.slot();
      case NotFound<T> notFound -> {
        error(
            o.at(line),
            Category.RULE,
            what
                + ": "
                + category
                + " '"
                + ref
                + "' not found (expected: "
                + (category.equals(INSTANCE) ? "an " : "a ")
                + category
                + " "
                + notFound.expected()
                + ")");
        yield null;
      }
      case Ambiguous<T> ambiguous -> {
        error(
            o.at(line),
            Category.RULE,
            what
                + ": "
                + category
                + " '"
                + ref
                + "' is ambiguous (matches "
                + String.join(", ", ambiguous.candidates())
                + ")");
        yield null;
      }
    };
  }

  private List<HeaderOperation> headerOperations(
      ConfigObject o,
      String what,
      Map<String, Entry> fields,
      String key,
      AttributeManifest manifest) {
    Entry e = fields.get(key);
    if (e == null || isNull(e.value())) {
      return List.of();
    }
    if (!(e.value() instanceof SequenceNode list)) {
      error(o.at(e.line()), Category.RULE, what + ": " + key + ": expected a list");
      return List.of();
    }
    List<HeaderOperation> out = new ArrayList<>();
    for (int i = 0; i < list.getValue().size(); i++) {
      Node item = list.getValue().get(i);
      String path = key + "[" + i + "]";
      if (!(item instanceof MappingNode mapping)) {
        error(
            o.at(line(item)),
            Category.RULE,
            what + ": " + path + ": expected a map with name, values and operation");
        continue;
      }
      Map<String, Entry> op =
          known(o, mapping, Category.RULE, what + ": " + path, "name", "values", "operation");
      Entry n = op.get("name");
      String name = n == null ? null : text(n.value());
      if (name == null || name.isBlank()) {
        error(o.at(line(item)), Category.RULE, what + ": " + path + ": missing name");
        continue;
      }
      HeaderOperation.Operation operation = HeaderOperation.Operation.REPLACE;
      Entry opEntry = op.get("operation");
      if (opEntry != null && !isNull(opEntry.value())) {
        String text = text(opEntry.value());
        try {
          operation =
              HeaderOperation.Operation.valueOf(
                  String.valueOf(text).trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException ex) {
          error(
              o.at(opEntry.line()),
              Category.RULE,
              what
                  + ": "
                  + path
                  + ".operation: "
                  + text
                  + " (expected: one of REPLACE, REMOVE, APPEND)");
          continue;
        }
      }
      List<Expression> values = new ArrayList<>();
      boolean valid = true;
      Entry v = op.get("values");
      if (v != null && !isNull(v.value())) {
        if (!(v.value() instanceof SequenceNode valueList)) {
          error(o.at(v.line()), Category.RULE, what + ": " + path + ".values: expected a list");
          continue;
        }
        for (int j = 0; j < valueList.getValue().size(); j++) {
          Node valueNode = valueList.getValue().get(j);
          String field = path + ".values[" + j + "]";
          String text = text(valueNode);
          if (text == null) {
            error(
                o.at(line(valueNode)),
                Category.RULE,
                what + ": " + field + ": expected an expression");
            valid = false;
            continue;
          }
          Expression x = compile(text, manifest, o.at(line(valueNode)), Category.RULE, what, field);
          if (x == null) {
            valid = false;
          } else {
            values.add(x);
          }
        }
      }
      if (valid) {
        out.add(new HeaderOperation(name, values, operation));
      }
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Shared helpers

  private void error(Source source, Category category, String message) {
    errorCount++;
    diagnostics.error(source, category, message);
  }

  private @Nullable Expression compile(
      String text,
      AttributeManifest manifest,
      Source at,
      Category category,
      String what,
      String field) {
    try {
      return ExpressionCompiler.compile(text, manifest);
    } catch (ExpressionException e) {
      error(at, category, what + ": " + field + ": " + e.getMessage());
      return null;
    }
  }

  private @Nullable MappingNode specMapping(ConfigObject o, Category category, String what) {
    if (o.spec() instanceof MappingNode m) {
      return m;
    }
    error(
        o.at(o.specLine()),
        category,
        what + (isNull(o.spec()) ? ": missing spec" : ": spec: expected a map"));
    return null;
  }

  /**
   * The entries of {@code mapping}, reporting keys not among {@code names}. Keys are also accepted
   * in snake_case ({@code compiled_adapter}) and returned under the camelCase name.
   */
  private Map<String, Entry> known(
      ConfigObject o, MappingNode mapping, Category category, String what, String... names) {
    Map<String, Entry> out = new LinkedHashMap<>();
    Map<String, String> bySnake = new HashMap<>();
    for (String n : names) {
      bySnake.put(YamlNodes.snake(n), n);
    }
    for (Entry e : entries(mapping, duplicates(o.source().file(), category, what)).values()) {
      String name = bySnake.get(YamlNodes.snake(e.key()));
      if (name == null) {
        error(
            o.at(e.line()),
            category,
            what
                + ": unknown field '"
                + e.key()
                + "' (expected: "
                + String.join(", ", names)
                + ")");
      } else if (out.putIfAbsent(name, e) != null) {
        error(o.at(e.line()), category, what + ": duplicate key '" + e.key() + "'");
      }
    }
    return out;
  }

  private <T> boolean duplicate(
      References<T> refs, Key key, ConfigObject o, Category category, String what) {
    Slot<T> prior = refs.get(key);
    if (prior == null) {
      return false;
    }
    error(o.source(), category, "duplicate " + what + " (first defined at " + prior.source() + ")");
    return true;
  }

  private boolean duplicate(
      Map<String, Source> seen, String key, ConfigObject o, Category category, String what) {
    Source prior = seen.putIfAbsent(key, o.source());
    if (prior == null) {
      return false;
    }
    error(o.source(), category, "duplicate " + what + " (first defined at " + prior + ")");
    return true;
  }
}
