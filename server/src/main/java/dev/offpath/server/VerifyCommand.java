package dev.offpath.server;

import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.HeaderMutation;
import dev.offpath.envoy.attributes.InvalidRequestException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code offpath verify}: policy tests, offline, like {@code opa test} (README "Operating Offpath").
 * Each file is a YAML list of cases {@code {name, attrs | request, expect: {allowed, status,
 * headers}}}: {@code attrs} as for {@code eval --attrs}, {@code request} a CheckRequest (protobuf
 * JSON written as YAML) mapped as the server maps it. {@code expect.headers} are request headers the
 * allowed decision must set (name → value). Cases run in file order against one engine, so quota
 * cases see the earlier cases' allocations. Prints a table; exit 0 when every case passed, 1 on any
 * mismatch or malformed case file ({@code file:line: message}, nothing run), 1 for a bad config.
 */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = "Run policy test cases (YAML) against the config offline; exit 1 on any mismatch.")
final class VerifyCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--config", paramLabel = "PATH", description = "Config file or directory (repeatable). Default: the embedded default config.")
  List<Path> config = List.of();

  @Parameters(arity = "1..*", paramLabel = "CASES.yaml", description = "Case files.")
  List<Path> files = List.of();

  /** At most this many cases per file: a bound on what a file can make the command do. */
  static final int MAX_CASES = 10_000;

  /** One parsed case. */
  record Case(
      String file,
      int line,
      String name,
      @Nullable Object attrs,
      @Nullable Object request,
      @Nullable Boolean allowed,
      @Nullable StatusCode status,
      Map<String, String> headers) {}

  /** A malformed case file. */
  static final class CaseError extends Exception {
    private static final long serialVersionUID = 1L;

    CaseError(String file, int line, String message) {
      super(file + ":" + line + ": " + message);
    }
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<Case> cases = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    for (Path f : files) {
      try {
        cases.addAll(parse(f.toString(), Files.readString(f)));
      } catch (CaseError e) {
        errors.add(e.getMessage());
      } catch (IOException e) {
        errors.add(f + ": cannot read: " + e);
      }
    }
    if (!errors.isEmpty()) {
      errors.forEach(err::println);
      err.println("offpath verify: " + errors.size() + " malformed case file(s); nothing run");
      err.flush();
      return 1;
    }
    try (PolicyWorkbench bench = PolicyWorkbench.load(config)) {
      List<String[]> rows = new ArrayList<>();
      int failed = 0;
      for (Case c : cases) {
        String[] row = run(bench, c);
        if (!row[0].equals("PASS")) {
          failed++;
        }
        rows.add(row);
      }
      printTable(out, rows);
      out.println(
          cases.size() + " case(s), " + (cases.size() - failed) + " passed, " + failed + " failed");
      out.flush();
      return failed == 0 ? 0 : 1;
    } catch (ConfigException e) {
      err.println(e.getMessage());
      err.println("offpath: config invalid (" + e.errors().size() + " error(s))");
      err.flush();
      return 1;
    } catch (IOException e) {
      err.println("offpath verify: cannot read config: " + e.getMessage());
      err.flush();
      return 1;
    }
  }

  /** RESULT, CASE, ALLOWED, STATUS, DETAIL. */
  private static String[] run(PolicyWorkbench bench, Case c) {
    String where = c.file() + ":" + c.line();
    Decision d;
    try {
      Attributes a = c.attrs() != null ? bench.attributes(c.attrs()) : bench.request(c.request());
      d = bench.engine().check(a);
    } catch (InvalidRequestException e) {
      // The server answers such a request 400 INVALID_ARGUMENT before any rule.
      return compare(c, where, false, StatusCode.INVALID_ARGUMENT, List.of(), e.getMessage());
    } catch (IOException | IllegalArgumentException e) {
      return new String[] {"ERROR", c.name(), "", "", where + ": " + e.getMessage()};
    }
    return compare(
        c, where, d.allowed(), d.status().code(), d.requestHeaderMutations(), d.status().message());
  }

  private static String[] compare(
      Case c,
      String where,
      boolean allowed,
      StatusCode status,
      List<HeaderMutation> headers,
      String message) {
    List<String> mismatches = new ArrayList<>();
    if (c.allowed() != null && c.allowed() != allowed) {
      mismatches.add("allowed: " + allowed + " (expected: " + c.allowed() + ")");
    }
    if (c.status() != null && c.status() != status) {
      mismatches.add("status: " + status + " (expected: " + c.status() + ")");
    }
    c.headers()
        .forEach(
            (name, value) -> {
              List<String> got =
                  headers.stream()
                      .filter(m -> m.name().equalsIgnoreCase(name))
                      .map(HeaderMutation::value)
                      .toList();
              if (!got.contains(value)) {
                mismatches.add(
                    "header " + name + ": " + (got.isEmpty() ? "not set" : got) + " (expected: " + value + ")");
              }
            });
    String detail =
        mismatches.isEmpty()
            ? (message.isEmpty() ? "" : message)
            : where + ": " + String.join("; ", mismatches) + (message.isEmpty() ? "" : " [" + message + "]");
    return new String[] {
      mismatches.isEmpty() ? "PASS" : "FAIL", c.name(), Boolean.toString(allowed), status.name(), detail
    };
  }

  private static void printTable(PrintWriter out, List<String[]> rows) {
    String[] header = {"RESULT", "CASE", "ALLOWED", "STATUS", "DETAIL"};
    int[] width = new int[4];
    for (int i = 0; i < 4; i++) {
      width[i] = header[i].length();
      for (String[] r : rows) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    List<String[]> all = new ArrayList<>();
    all.add(header);
    all.addAll(rows);
    for (String[] r : all) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < 4; i++) {
        sb.append(r[i]).append(" ".repeat(width[i] - r[i].length() + 2));
      }
      out.println((sb + r[4]).stripTrailing());
    }
  }

  // --- parsing

  /** The cases of one file. */
  static List<Case> parse(String file, String text) throws CaseError {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    Node root;
    try {
      root = new Yaml(options).compose(new java.io.StringReader(text));
    } catch (YAMLException e) {
      throw new CaseError(file, 1, "invalid YAML: " + e.getMessage().replace('\n', ' '));
    }
    if (root == null) {
      throw new CaseError(file, 1, "no cases (expected: a list of {name, attrs | request, expect})");
    }
    if (!(root instanceof SequenceNode list)) {
      throw new CaseError(file, line(root), "expected a list of {name, attrs | request, expect}");
    }
    if (list.getValue().size() > MAX_CASES) {
      throw new CaseError(file, line(root), list.getValue().size() + " cases (expected: at most " + MAX_CASES + ")");
    }
    List<Case> out = new ArrayList<>();
    Map<String, Integer> names = new LinkedHashMap<>();
    for (Node n : list.getValue()) {
      Case c = parseCase(file, n);
      Integer first = names.putIfAbsent(c.name(), c.line());
      if (first != null) {
        throw new CaseError(file, c.line(), "duplicate case name '" + c.name() + "' (first at line " + first + ")");
      }
      out.add(c);
    }
    return out;
  }

  private static Case parseCase(String file, Node n) throws CaseError {
    if (!(n instanceof MappingNode m)) {
      throw new CaseError(file, line(n), "a case must be a mapping {name, attrs | request, expect}");
    }
    Map<String, NodeTuple> fields = fields(file, m, "name", "attrs", "request", "expect");
    NodeTuple name = fields.get("name");
    if (name == null || !(name.getValueNode() instanceof ScalarNode s) || s.getValue().isBlank()) {
      throw new CaseError(file, line(m), "case: missing name");
    }
    String caseName = s.getValue();
    String what = "case '" + caseName + "'";
    NodeTuple attrs = fields.get("attrs");
    NodeTuple request = fields.get("request");
    if ((attrs == null) == (request == null)) {
      throw new CaseError(file, line(m), what + ": expected exactly one of attrs, request");
    }
    NodeTuple input = attrs != null ? attrs : request;
    if (!(input.getValueNode() instanceof MappingNode)) {
      throw new CaseError(
          file, line(input.getValueNode()), what + ": " + (attrs != null ? "attrs" : "request") + ": expected a mapping");
    }
    NodeTuple expect = fields.get("expect");
    if (expect == null) {
      throw new CaseError(file, line(m), what + ": missing expect");
    }
    if (!(expect.getValueNode() instanceof MappingNode e)) {
      throw new CaseError(file, line(expect.getValueNode()), what + ": expect: expected a mapping");
    }
    Map<String, NodeTuple> ex = fields(file, e, "allowed", "status", "headers");
    if (ex.isEmpty()) {
      throw new CaseError(file, line(e), what + ": expect: expected at least one of allowed, status, headers");
    }
    Boolean allowed = null;
    NodeTuple a = ex.get("allowed");
    if (a != null) {
      if (!(a.getValueNode() instanceof ScalarNode sa) || !sa.getTag().equals(Tag.BOOL)) {
        throw new CaseError(file, line(a.getValueNode()), what + ": expect.allowed: expected true or false");
      }
      allowed = Boolean.parseBoolean(sa.getValue().toLowerCase(java.util.Locale.ROOT));
    }
    StatusCode status = null;
    NodeTuple st = ex.get("status");
    if (st != null) {
      String text = st.getValueNode() instanceof ScalarNode ss ? ss.getValue() : "";
      try {
        status = StatusCode.valueOf(text);
      } catch (IllegalArgumentException bad) {
        throw new CaseError(
            file,
            line(st.getValueNode()),
            what + ": expect.status: '" + text + "' (expected: a gRPC code name such as OK, PERMISSION_DENIED, RESOURCE_EXHAUSTED)");
      }
    }
    Map<String, String> headers = new LinkedHashMap<>();
    NodeTuple h = ex.get("headers");
    if (h != null) {
      if (!(h.getValueNode() instanceof MappingNode hm)) {
        throw new CaseError(file, line(h.getValueNode()), what + ": expect.headers: expected a mapping of name: value");
      }
      for (NodeTuple t : hm.getValue()) {
        if (!(t.getKeyNode() instanceof ScalarNode k) || !(t.getValueNode() instanceof ScalarNode v)) {
          throw new CaseError(file, line(t.getKeyNode()), what + ": expect.headers: expected name: value");
        }
        headers.put(k.getValue(), v.getValue());
      }
    }
    return new Case(
        file,
        line(m),
        caseName,
        attrs == null ? null : toJava(attrs.getValueNode()),
        request == null ? null : toJava(request.getValueNode()),
        allowed,
        status,
        headers);
  }

  private static Map<String, NodeTuple> fields(String file, MappingNode m, String... known)
      throws CaseError {
    Map<String, NodeTuple> out = new LinkedHashMap<>();
    List<String> allowed = List.of(known);
    for (NodeTuple t : m.getValue()) {
      String key = t.getKeyNode() instanceof ScalarNode s ? s.getValue() : "";
      if (!allowed.contains(key)) {
        throw new CaseError(file, line(t.getKeyNode()), "unknown key '" + key + "' (expected: " + String.join(", ", known) + ")");
      }
      out.put(key, t);
    }
    return out;
  }

  /** A YAML node as plain Java (maps, lists, strings, longs, doubles, booleans, null). */
  private static @Nullable Object toJava(Node n) {
    return switch (n) {
      case ScalarNode s -> {
        Tag tag = s.getTag();
        if (tag.equals(Tag.NULL)) {
          yield null;
        } else if (tag.equals(Tag.BOOL)) {
          yield Boolean.parseBoolean(s.getValue().toLowerCase(java.util.Locale.ROOT));
        } else if (tag.equals(Tag.INT)) {
          try {
            yield Long.parseLong(s.getValue());
          } catch (NumberFormatException e) {
            yield s.getValue();
          }
        } else if (tag.equals(Tag.FLOAT)) {
          yield Double.parseDouble(s.getValue());
        }
        yield s.getValue();
      }
      case SequenceNode q -> {
        List<@Nullable Object> l = new ArrayList<>();
        q.getValue().forEach(x -> l.add(toJava(x)));
        yield l;
      }
      case MappingNode m -> {
        Map<String, @Nullable Object> map = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
          map.put(String.valueOf(toJava(t.getKeyNode())), toJava(t.getValueNode()));
        }
        yield map;
      }
      default -> String.valueOf(n);
    };
  }

  private static int line(Node n) {
    return n.getStartMark() == null ? 1 : n.getStartMark().getLine() + 1;
  }
}
