package dev.offpath.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.attribute.AttributeJson;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.Vocabulary;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.config.ConfigLoader;
import dev.offpath.core.expr.EvaluationException;
import dev.offpath.core.expr.ExpressionCompiler;
import dev.offpath.core.expr.ExpressionException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code offpath eval}: evaluates Mixer expressions against attributes typed by the config's manifest
 * (the built-in vocabulary plus the config's attribute manifests).
 *
 * <ul>
 *   <li>{@code --attrs FILE.json EXPR}: prints the value as JSON, exit 0; or the error, exit 1.
 *   <li>{@code --cases FILE}: a JSON array of {@code {"name","expr","attrs"}}; prints one JSON line
 *       per case, {@code {"name","value"}} or {@code {"name","error"}}; exit 0 unless the file itself
 *       is unreadable.
 * </ul>
 */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description = "Evaluate a Mixer expression against attributes from a JSON file.")
final class EvalCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--config", paramLabel = "PATH", description = "Config whose attribute manifests type the attributes (repeatable). Default: built-in vocabulary.")
  List<Path> config = List.of();

  @ArgGroup(exclusive = true, multiplicity = "1")
  Mode mode;

  static final class Mode {
    @Option(names = "--attrs", paramLabel = "FILE.json", description = "One JSON object of attribute values.")
    @Nullable Path attrs;

    @Option(names = "--cases", paramLabel = "FILE.json", description = "A JSON array of {name, expr, attrs} cases.")
    @Nullable Path cases;
  }

  @Parameters(arity = "0..1", paramLabel = "EXPR", description = "The expression (with --attrs).")
  @Nullable String expression;

  private final ObjectMapper json = new ObjectMapper();

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    AttributeManifest manifest;
    try {
      manifest =
          config.isEmpty()
              ? Vocabulary.builtin()
              : new ConfigLoader(AdapterRegistry.installed()).load(config).manifest();
    } catch (ConfigException e) {
      err.println(e.getMessage());
      err.flush();
      return 1;
    } catch (IOException e) {
      err.println("offpath: cannot read config: " + e);
      err.flush();
      return 1;
    }
    try {
      if (mode.cases != null) {
        return cases(mode.cases, manifest, out);
      }
      if (expression == null) {
        err.println("offpath eval: EXPR is required with --attrs");
        err.flush();
        return 2;
      }
      Attributes attributes = AttributeJson.parse(Files.readString(mode.attrs), manifest);
      out.println(eval(expression, attributes, manifest));
      out.flush();
      return 0;
    } catch (EvalFailure e) {
      err.println(e.getMessage());
      err.flush();
      return 1;
    } catch (IllegalArgumentException e) {
      err.println("attributes: " + e.getMessage());
      err.flush();
      return 1;
    } catch (IOException e) {
      err.println("offpath: cannot read " + e.getMessage());
      err.flush();
      return 1;
    }
  }

  private int cases(Path file, AttributeManifest manifest, PrintWriter out) throws IOException {
    JsonNode root = json.readTree(file.toFile());
    if (!root.isArray()) {
      throw new IOException(file + ": expected a JSON array of {name, expr, attrs}");
    }
    for (JsonNode c : root) {
      ObjectNode line = json.createObjectNode();
      line.put("name", c.path("name").asText());
      try {
        JsonNode attrs = c.path("attrs");
        Attributes a =
            AttributeJson.parse(attrs.isMissingNode() ? "{}" : json.writeValueAsString(attrs), manifest);
        line.set("value", json.readTree(eval(c.path("expr").asText(), a, manifest)));
      } catch (EvalFailure e) {
        line.put("error", e.getMessage());
      } catch (IllegalArgumentException e) {
        line.put("error", "attributes: " + e.getMessage());
      }
      out.println(json.writeValueAsString(line));
    }
    out.flush();
    return 0;
  }

  private static String eval(String text, Attributes attributes, AttributeManifest manifest)
      throws EvalFailure {
    try {
      return AttributeJson.toJson(ExpressionCompiler.compile(text, manifest).evaluate(attributes));
    } catch (ExpressionException | EvaluationException e) {
      throw new EvalFailure(e.getMessage());
    }
  }

  private static final class EvalFailure extends Exception {
    private static final long serialVersionUID = 1L;

    EvalFailure(String message) {
      super(message);
    }
  }
}
