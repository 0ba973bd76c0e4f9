package dev.offpath.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.offpath.core.attribute.AttributeJson;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.DryRunDenial;
import dev.offpath.core.runtime.Explainer;
import dev.offpath.core.runtime.Explanation;
import dev.offpath.core.runtime.HeaderMutation;
import dev.offpath.envoy.attributes.InvalidRequestException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code offpath explain}: decides one request offline and prints the trace (README "Operating
 * Offpath"): the decision, each rule in order with its match result (and the failing
 * sub-expression), the instances built and each handler's answer, the combined status and validity,
 * the dry-run denials, and the attributes read (the check cache's shape). Exit 0 allowed, 3 denied,
 * 1 bad input or config.
 */
@Command(
    name = "explain",
    mixinStandardHelpOptions = true,
    description = "Decide one request offline and show why: every rule, instance and handler answer.")
final class ExplainCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--config", paramLabel = "PATH", description = "Config file or directory (repeatable). Default: the embedded default config.")
  List<Path> config = List.of();

  @ArgGroup(exclusive = true, multiplicity = "1")
  Input input;

  static final class Input {
    @Option(names = "--attrs", paramLabel = "FILE.json", description = "One JSON object of attribute values.")
    @Nullable Path attrs;

    @Option(names = "--request", paramLabel = "CHECKREQUEST.json", description = "An envoy.service.auth.v3.CheckRequest in protobuf JSON, mapped as the server maps it.")
    @Nullable Path request;
  }

  @Option(names = "--json", description = "Print the explanation as one JSON object.")
  boolean json;

  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try (PolicyWorkbench bench = PolicyWorkbench.load(config)) {
      Attributes attributes;
      try {
        attributes =
            input.attrs != null
                ? bench.attributes(Files.readString(input.attrs))
                : bench.request(Files.readString(input.request));
      } catch (InvalidRequestException e) {
        err.println(
            "offpath explain: the server refuses this request before any rule: 400 INVALID_ARGUMENT: "
                + e.getMessage());
        err.flush();
        return 3;
      } catch (InvalidProtocolBufferException e) {
        err.println("offpath explain: " + input.request + ": not a CheckRequest: " + e.getMessage());
        err.flush();
        return 1;
      } catch (IllegalArgumentException e) {
        err.println("offpath explain: " + input.attrs + ": attributes: " + e.getMessage());
        err.flush();
        return 1;
      }
      Explanation x = Explainer.explain(bench.engine(), attributes);
      out.print(json ? JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson(x)) + "\n" : text(x));
      out.flush();
      return x.decision().allowed() ? 0 : 3;
    } catch (ConfigException e) {
      err.println(e.getMessage());
      err.println("offpath: config invalid (" + e.errors().size() + " error(s))");
      err.flush();
      return 1;
    } catch (IOException e) {
      err.println("offpath explain: cannot read " + e.getMessage());
      err.flush();
      return 1;
    }
  }

  /** The explanation for people. */
  static String text(Explanation x) {
    StringBuilder sb = new StringBuilder();
    Decision d = x.decision();
    sb.append("decision: ").append(d.allowed() ? "ALLOWED" : "DENIED").append(' ')
        .append(d.status().code().name()).append(" (HTTP ").append(d.status().code().httpStatus())
        .append(')');
    if (!d.allowed()) {
      sb.append(" by rule ").append(d.decidingRule()).append(", handler ").append(d.decidingHandler());
    }
    sb.append('\n');
    if (!d.status().message().isEmpty()) {
      sb.append("  message: ").append(d.status().message()).append('\n');
    }
    sb.append("  validity: ").append(d.validDuration()).append(", ")
        .append(d.validUseCount() < 0 ? "unlimited" : d.validUseCount()).append(" uses")
        .append(d.error() ? " (from a failure)" : "").append('\n');
    sb.append("  check cache: ").append(x.cache()).append('\n');
    for (DryRunDenial dr : d.dryRunDenials()) {
      sb.append("  dry-run denial (not enforced): rule ").append(dr.rule()).append(", handler ")
          .append(dr.handler()).append(": ").append(dr.status().code().name()).append(' ')
          .append(dr.status().message()).append('\n');
    }
    for (HeaderMutation m : d.requestHeaderMutations()) {
      sb.append("  request header ").append(m.operation()).append(' ').append(m.name()).append(": ")
          .append(m.value()).append('\n');
    }
    for (HeaderMutation m : d.responseHeaderMutations()) {
      sb.append("  response header ").append(m.operation()).append(' ').append(m.name()).append(": ")
          .append(m.value()).append('\n');
    }
    sb.append("rules, in order:\n");
    int i = 1;
    for (Explanation.RuleStep r : x.rules()) {
      sb.append("  ").append(i++).append(". ").append(r.name()).append(r.dryRun() ? " [dry-run]" : "")
          .append(": ").append(r.matched() ? "matched" : "not matched");
      sb.append(r.match() == null ? " (no match: always)" : "").append('\n');
      if (r.match() != null) {
        sb.append("       match: ").append(r.match()).append('\n');
      }
      if (r.whyNot() != null) {
        sb.append("       failed: ").append(r.whyNot().expression())
            .append(r.whyNot().error() == null ? " is false" : " → error: " + r.whyNot().error())
            .append('\n');
      }
      for (Explanation.HandlerStep h : r.handlers()) {
        sb.append("       ").append(h.phase()).append(' ').append(h.instance()).append(" → ")
            .append(h.handler());
        if (h.fields() != null && !h.fields().isEmpty()) {
          sb.append(' ').append(fieldsText(h.fields()));
        }
        sb.append(": ");
        if (h.failure() != null) {
          sb.append("FAILED ").append(h.failure());
        } else if (h.status() != null) {
          sb.append(h.status().code().name());
          if (!h.status().message().isEmpty()) {
            sb.append(" \"").append(h.status().message()).append('"');
          }
          if (h.validDuration() != null) {
            sb.append(", valid ").append(h.validDuration()).append(" / ")
                .append(h.validUseCount() < 0 ? "unlimited" : h.validUseCount()).append(" uses");
          }
          if (h.granted() >= 0) {
            sb.append(", granted ").append(h.granted());
          }
        }
        sb.append('\n');
      }
    }
    sb.append("attributes read (the check cache's shape):\n");
    if (x.reads().isEmpty()) {
      sb.append("  (none)\n");
    }
    for (Map.Entry<String, @Nullable Object> a : x.reads().entrySet()) {
      sb.append("  ").append(a.getKey()).append(" = ")
          .append(a.getValue() == null ? "(absent)" : AttributeJson.toJson(a.getValue())).append('\n');
    }
    return sb.toString();
  }

  private static String fieldsText(Map<String, Object> fields) {
    StringBuilder sb = new StringBuilder("{");
    new java.util.TreeMap<>(fields)
        .forEach(
            (k, v) -> {
              if (sb.length() > 1) {
                sb.append(", ");
              }
              sb.append(k).append(": ").append(AttributeJson.toJson(v));
            });
    return sb.append('}').toString();
  }

  /** The explanation as JSON, with the same content as {@link #text}. */
  static ObjectNode toJson(Explanation x) {
    ObjectNode root = JSON.createObjectNode();
    Decision d = x.decision();
    ObjectNode decision = root.putObject("decision");
    decision.put("allowed", d.allowed());
    decision.put("status", d.status().code().name());
    decision.put("httpStatus", d.status().code().httpStatus());
    decision.put("message", d.status().message());
    decision.put("rule", d.decidingRule());
    decision.put("handler", d.decidingHandler());
    decision.put("validDuration", d.validDuration().toString());
    decision.put("validUseCount", d.validUseCount());
    decision.put("error", d.error());
    decision.put("checkCache", x.cache());
    ArrayNode dry = decision.putArray("dryRunDenials");
    for (DryRunDenial dr : d.dryRunDenials()) {
      ObjectNode n = dry.addObject();
      n.put("rule", dr.rule());
      n.put("handler", dr.handler());
      n.put("status", dr.status().code().name());
      n.put("message", dr.status().message());
      n.put("quota", dr.quota());
    }
    mutations(decision.putArray("requestHeaders"), d.requestHeaderMutations());
    mutations(decision.putArray("responseHeaders"), d.responseHeaderMutations());
    ArrayNode rules = root.putArray("rules");
    for (Explanation.RuleStep r : x.rules()) {
      ObjectNode n = rules.addObject();
      n.put("name", r.name());
      n.put("dryRun", r.dryRun());
      n.put("match", r.match());
      n.put("matched", r.matched());
      if (r.whyNot() != null) {
        ObjectNode w = n.putObject("failed");
        w.put("expression", r.whyNot().expression());
        w.put("error", r.whyNot().error());
      }
      ArrayNode hs = n.putArray("handlers");
      for (Explanation.HandlerStep h : r.handlers()) {
        ObjectNode hn = hs.addObject();
        hn.put("phase", h.phase());
        hn.put("handler", h.handler());
        hn.put("instance", h.instance());
        if (h.fields() != null) {
          ObjectNode f = hn.putObject("fields");
          new java.util.TreeMap<>(h.fields()).forEach((k, v) -> f.set(k, readJson(AttributeJson.toJson(v))));
        }
        if (h.status() != null) {
          hn.put("status", h.status().code().name());
          hn.put("message", h.status().message());
        }
        if (h.validDuration() != null) {
          hn.put("validDuration", h.validDuration().toString());
          hn.put("validUseCount", h.validUseCount());
        }
        if (h.granted() >= 0) {
          hn.put("granted", h.granted());
        }
        if (h.failure() != null) {
          hn.put("failure", h.failure());
        }
      }
    }
    ObjectNode reads = root.putObject("attributes");
    x.reads()
        .forEach(
            (k, v) -> reads.set(k, v == null ? reads.nullNode() : readJson(AttributeJson.toJson(v))));
    return root;
  }

  private static void mutations(ArrayNode to, List<HeaderMutation> mutations) {
    for (HeaderMutation m : mutations) {
      ObjectNode n = to.addObject();
      n.put("name", m.name());
      n.put("value", m.value());
      n.put("operation", m.operation().name());
    }
  }

  private static com.fasterxml.jackson.databind.JsonNode readJson(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
