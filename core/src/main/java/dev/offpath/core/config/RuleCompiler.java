package dev.offpath.core.config;

import static dev.offpath.core.config.YamlNodes.isNull;
import static dev.offpath.core.config.YamlNodes.line;
import static dev.offpath.core.config.YamlNodes.text;

import dev.offpath.core.attribute.ValueType;
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
import dev.offpath.core.expr.Expression;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * {@code rule}: {@code match} (a BOOL expression; empty or absent matches always), {@code actions}
 * (a handler and the instances dispatched to it, resolved through {@link References}) and
 * request/response header operations (values are expressions of any type; {@code operation}
 * REPLACE by default, REMOVE or APPEND). {@code sampling} is ignored with a warning.
 *
 * <p>Rule actions whose handler or whose every instance was skipped are dropped with a warning, and
 * a rule left with no action and no header operation by those skips is skipped; a rule written
 * with neither is an error, as it was in Mixer. Compiled last: rules refer to everything else.
 */
final class RuleCompiler implements KindCompiler {

  static final String KIND = "rule";

  @Override
  public boolean accepts(String apiVersion, String kind, Compilation c) {
    return kind.equals(KIND) && PolicyCompiler.isMixer(apiVersion);
  }

  @Override
  public void compile(List<ConfigObject> objects, Compilation c) {
    Run run = new Run(c);
    Map<Key, Source> seen = new HashMap<>();
    for (ConfigObject o : objects) {
      RuleConfig r = run.rule(o, seen);
      if (r != null) {
        c.rules.add(r);
      }
    }
  }

  /** One load's rules. */
  private static final class Run {
    private final Compilation c;

    Run(Compilation c) {
      this.c = c;
    }

    private @Nullable RuleConfig rule(ConfigObject o, Map<Key, Source> seen) {
      Key key = new Key(o.name(), KIND, o.namespace(), true);
      String what = "rule '" + key.fqn() + "'";
      int errorsBefore = c.errorCount();
      Source first = seen.putIfAbsent(key, o.source());
      if (first != null) {
        c.error(o.source(), Category.RULE, "duplicate " + what + " (first defined at " + first + ")");
        return null;
      }
      MappingNode spec = isNull(o.spec()) ? null : c.specMapping(o, Category.RULE, what);
      if (spec == null && !isNull(o.spec())) {
        return null;
      }
      Map<String, Entry> fields =
          spec == null
              ? Map.of()
              : c.known(
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
          c.error(o.at(m.line()), Category.RULE, what + ": match: expected an expression");
        } else if (!text.isBlank()) {
          match = c.compile(text, o.at(m.line()), Category.RULE, what, "match");
          if (match != null && match.type() != ValueType.BOOL) {
            c.error(
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
          c.error(o.at(a.line()), Category.RULE, what + ": actions: expected a list");
        }
      }

      List<HeaderOperation> request =
          headerOperations(o, what, fields, "requestHeaderOperations");
      List<HeaderOperation> response =
          headerOperations(o, what, fields, "responseHeaderOperations");

      Entry sampling = fields.get("sampling");
      if (sampling != null && !isNull(sampling.value())) {
        c.warning(
            o.at(sampling.line()),
            what + ": sampling is not supported; every matching request is dispatched");
      }

      // README "Operating Offpath": a dry-run rule is evaluated but never denies.
      String dryRunText = o.annotations().get(RuleConfig.DRY_RUN_ANNOTATION);
      boolean dryRun = "true".equals(dryRunText);
      if (dryRunText != null && !dryRun && !"false".equals(dryRunText)) {
        c.error(
            o.source(),
            Category.RULE,
            what
                + ": metadata.annotations."
                + RuleConfig.DRY_RUN_ANNOTATION
                + ": '"
                + dryRunText
                + "' (expected: \"true\" or \"false\")");
      }

      boolean hasHeaderOperations = !request.isEmpty() || !response.isEmpty();
      if (written == 0 && !hasHeaderOperations && c.errorCount() == errorsBefore) {
        c.error(
            o.source(),
            Category.RULE,
            what + ": no actions and no header operations (expected: at least one)");
        return null;
      }
      if (c.errorCount() != errorsBefore) {
        return null;
      }
      if (actions.isEmpty() && !hasHeaderOperations) {
        c.warning(o.source(), what + ": no action left to dispatch; rule skipped");
        return null;
      }
      return new RuleConfig(key.fqn(), match, actions, request, response, o.source(), dryRun);
    }

    private @Nullable Action action(ConfigObject o, String what, String path, Node node) {
      if (!(node instanceof MappingNode mapping)) {
        c.error(
            o.at(line(node)),
            Category.RULE,
            what + ": " + path + ": expected a map with handler and instances");
        return null;
      }
      Map<String, Entry> fields =
          c.known(o, mapping, Category.RULE, what + ": " + path, "handler", "instances", "name");
      Entry h = fields.get("handler");
      String handlerRef = h == null ? null : text(h.value());
      if (h == null || handlerRef == null || handlerRef.isBlank()) {
        c.error(o.at(line(node)), Category.RULE, what + ": " + path + ": missing handler");
        return null;
      }
      Entry n = fields.get("name");
      String name = n == null ? null : text(n.value());

      boolean usable = true;
      HandlerConfig handler = null;
      String skippedBecause = null;
      Slot<HandlerConfig> hs = resolve(c.handlers, Compilation.HANDLER, handlerRef, o, what, h.line());
      switch (hs) {
        case null -> usable = false;
        case Active<HandlerConfig> active -> handler = active.value();
        case Skipped<HandlerConfig> skipped -> skippedBecause = skipped.reason();
        case Failed<HandlerConfig> failed -> usable = false;
      }

      Entry is = fields.get("instances");
      List<Node> refs = new ArrayList<>();
      if (is == null || isNull(is.value())) {
        c.error(
            o.at(line(node)),
            Category.RULE,
            what + ": " + path + ": missing instances (expected: at least one)");
        return null;
      }
      if (is.value() instanceof SequenceNode list) {
        refs.addAll(list.getValue());
      } else {
        c.error(o.at(is.line()), Category.RULE, what + ": " + path + ": instances: expected a list");
        return null;
      }
      if (refs.isEmpty()) {
        c.error(
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
          c.error(
              o.at(line(ref)),
              Category.RULE,
              what + ": " + path + ": instances: expected instance names");
          usable = false;
          continue;
        }
        Slot<InstanceConfig> slot = resolve(c.instances, Compilation.INSTANCE, instanceRef, o, what, line(ref));
        switch (slot) {
          case null -> usable = false;
          case Failed<InstanceConfig> failed -> usable = false;
          case Skipped<InstanceConfig> skipped ->
              skippedInstances.add("instance '" + instanceRef + "': " + skipped.reason());
          case Active<InstanceConfig> active -> {
            InstanceConfig instance = active.value();
            if (!unique.add(instance.name())) {
              c.error(
                  o.at(line(ref)),
                  Category.RULE,
                  what + ": " + path + ": instance '" + instance.name() + "' listed twice");
              usable = false;
            } else if (handler != null && RemoteActionCheck.applies(handler, instance)) {
              String problem = RemoteActionCheck.problem(handler, instance);
              if (problem != null) {
                c.error(o.at(line(ref)), Category.RULE, what + ": " + path + ": " + problem);
                usable = false;
              } else {
                resolved.add(instance);
              }
            } else if (handler != null
                && !handler.adapter().templates().contains(instance.template())) {
              c.error(
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
        c.warning(
            o.at(h.line()),
            what + ": " + path + " on handler '" + handlerRef + "' skipped (" + skippedBecause + ")");
        return null;
      }
      for (String s : skippedInstances) {
        c.warning(
            o.at(is.line()), what + ": " + path + ": " + s + "; instance not dispatched");
      }
      if (resolved.isEmpty()) {
        c.warning(
            o.at(h.line()),
            what + ": " + path + " on handler '" + handlerRef + "' skipped (no supported instance)");
        return null;
      }
      // usable and not skipped: the handler slot was Active.
      return new Action(Objects.requireNonNull(handler, "handler"), resolved, name);
    }

    private <T> @Nullable Slot<T> resolve(
        References<T> refs, String category, String ref, ConfigObject o, String what, int line) {
      Resolution<T> r = refs.resolve(ref.trim(), o.namespace());
      return switch (r) {
        case Found<T> found -> found.slot();
        case NotFound<T> notFound -> {
          c.error(
              o.at(line),
              Category.RULE,
              what
                  + ": "
                  + category
                  + " '"
                  + ref
                  + "' not found (expected: "
                  + (category.equals(Compilation.INSTANCE) ? "an " : "a ")
                  + category
                  + " "
                  + notFound.expected()
                  + ")");
          yield null;
        }
        case Ambiguous<T> ambiguous -> {
          c.error(
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
        String key) {
      Entry e = fields.get(key);
      if (e == null || isNull(e.value())) {
        return List.of();
      }
      if (!(e.value() instanceof SequenceNode list)) {
        c.error(o.at(e.line()), Category.RULE, what + ": " + key + ": expected a list");
        return List.of();
      }
      List<HeaderOperation> out = new ArrayList<>();
      for (int i = 0; i < list.getValue().size(); i++) {
        Node item = list.getValue().get(i);
        String path = key + "[" + i + "]";
        if (!(item instanceof MappingNode mapping)) {
          c.error(
              o.at(line(item)),
              Category.RULE,
              what + ": " + path + ": expected a map with name, values and operation");
          continue;
        }
        Map<String, Entry> op =
            c.known(o, mapping, Category.RULE, what + ": " + path, "name", "values", "operation");
        Entry n = op.get("name");
        String name = n == null ? null : text(n.value());
        if (name == null || name.isBlank()) {
          c.error(o.at(line(item)), Category.RULE, what + ": " + path + ": missing name");
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
            c.error(
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
            c.error(o.at(v.line()), Category.RULE, what + ": " + path + ".values: expected a list");
            continue;
          }
          for (int j = 0; j < valueList.getValue().size(); j++) {
            Node valueNode = valueList.getValue().get(j);
            String field = path + ".values[" + j + "]";
            String text = text(valueNode);
            if (text == null) {
              c.error(
                  o.at(line(valueNode)),
                  Category.RULE,
                  what + ": " + field + ": expected an expression");
              valid = false;
              continue;
            }
            Expression x = c.compile(text, o.at(line(valueNode)), Category.RULE, what, field);
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
  }
}
