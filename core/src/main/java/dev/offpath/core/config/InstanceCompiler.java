package dev.offpath.core.config;

import static dev.offpath.core.config.YamlNodes.entries;
import static dev.offpath.core.config.YamlNodes.isNull;
import static dev.offpath.core.config.YamlNodes.text;

import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.config.ConfigError.Category;
import dev.offpath.core.config.References.Active;
import dev.offpath.core.config.References.Failed;
import dev.offpath.core.config.References.Key;
import dev.offpath.core.config.References.Skipped;
import dev.offpath.core.config.YamlNodes.DuplicateKeys;
import dev.offpath.core.config.YamlNodes.Entry;
import dev.offpath.core.expr.Expression;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Instances: Istio 1.1's {@code instance} ({@code spec.compiledTemplate} + {@code spec.params}) and
 * Istio 1.0's per-template kinds ({@code kind: checknothing}, {@code quota}, {@code metric}, …)
 * whose spec is the params. Fields are compiled as expressions against the effective manifest and
 * checked against the template's shape ({@link Templates}); the template's {@link Variety} is
 * decided here, once.
 *
 * <p>An instance of an out-of-process template ({@code spec.template}, which names a {@code kind:
 * template} object) is compiled by {@link RemoteInstanceCompiler}. Skipped with a warning:
 * instances of templates Offpath does not build ({@link Templates#KNOWN_UNSUPPORTED}). {@code
 * spec.attributeBindings} (attribute-producing adapters) has no effect and is named in a warning.
 */
final class InstanceCompiler implements KindCompiler {

  @Override
  public boolean accepts(String apiVersion, String kind, Compilation c) {
    if (kind.equals(Compilation.INSTANCE)) {
      return PolicyCompiler.isMixer(apiVersion);
    }
    return apiVersion.equals(PolicyCompiler.CONFIG_V1ALPHA2) && Templates.isTemplateKind(kind);
  }

  @Override
  public void compile(List<ConfigObject> objects, Compilation c) {
    for (ConfigObject o : objects) {
      instance(o, c);
    }
  }

  private static void instance(ConfigObject o, Compilation c) {
    References<InstanceConfig> instances = c.instances;
    Key key = instances.key(o.name(), o.generic() ? Compilation.INSTANCE : o.kind(), o.namespace());
    String what = "instance '" + key.fqn() + "'";
    if (c.duplicate(instances, key, o, Category.INSTANCE, what)) {
      return;
    }
    String templateName;
    int templateLine;
    @Nullable Node params;
    if (o.generic()) {
      MappingNode spec = c.specOrFailed(instances, key, o, Category.INSTANCE, what);
      if (spec == null) {
        return;
      }
      Map<String, Entry> fields =
          c.known(
              o,
              spec,
              Category.INSTANCE,
              what,
              "compiledTemplate",
              "template",
              "params",
              "attributeBindings");
      Entry t = fields.get("compiledTemplate");
      Entry outOfProcess = fields.get("template");
      if (t == null && outOfProcess != null) {
        String ref = text(outOfProcess.value());
        if (ref == null || ref.isBlank()) {
          c.error(
              o.at(outOfProcess.line()),
              Category.INSTANCE,
              what + ": template: expected a template name");
          instances.put(key, new Failed<>(o.source()));
          return;
        }
        c.unsupportedField(
            o,
            fields.get("attributeBindings"),
            what,
            "ignored (Offpath runs no attribute-producing adapter)");
        Entry p = fields.get("params");
        RemoteInstanceCompiler.compile(
            o, key, what, ref, outOfProcess.line(), p == null ? null : p.value(), c);
        return;
      }
      String name = t == null ? null : text(t.value());
      if (t == null || name == null || name.isBlank()) {
        c.error(o.at(o.specLine()), Category.INSTANCE, what + ": missing compiledTemplate");
        instances.put(key, new Failed<>(o.source()));
        return;
      }
      if (outOfProcess != null) {
        c.error(
            o.at(outOfProcess.line()),
            Category.INSTANCE,
            what + ": both compiledTemplate and template (expected: one of them)");
        instances.put(key, new Failed<>(o.source()));
        return;
      }
      c.unsupportedField(
          o,
          fields.get("attributeBindings"),
          what,
          "ignored (Offpath runs no attribute-producing adapter)");
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
        c.warning(o.source(), what + ": " + reason + "; instance skipped");
        instances.put(key, new Skipped<>(reason, o.source()));
      } else {
        c.error(
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
    FieldCompiler fields = new FieldCompiler(o, what, template.name(), c);
    fields.message(template.fields(), params, "", o.specLine());
    if (fields.failed) {
      instances.put(key, new Failed<>(o.source()));
    } else {
      instances.put(
          key,
          new Active<>(
              new InstanceConfig(
                  key.fqn(), template.name(), template.variety(), fields.out, o.source()),
              o.source()));
    }
  }

  /** Compiles an instance's fields against its template's shape. */
  private static final class FieldCompiler {
    final ConfigObject object;
    final String what;
    final String template;
    final Compilation c;
    final Map<String, Expression> out = new LinkedHashMap<>();
    boolean failed;

    FieldCompiler(ConfigObject object, String what, String template, Compilation c) {
      this.object = object;
      this.what = what;
      this.template = template;
      this.c = c;
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
      DuplicateKeys dups = c.duplicates(object.source().file(), Category.INSTANCE, what);
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
      if (text.isBlank()) {
        return; // an empty expression leaves the field unset, as in Mixer (groups: "" in Istio's sample)
      }
      Expression x = c.compile(text, object.at(e.line()), Category.INSTANCE, what, path);
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
      c.error(object.at(line), Category.INSTANCE, what + ": " + message);
    }
  }
}
