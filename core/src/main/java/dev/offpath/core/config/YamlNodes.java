package dev.offpath.core.config;

import dev.offpath.core.adapter.Params;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reading SnakeYAML node trees: lines, scalar text, plain Java values, and the line of a param
 * path.
 */
final class YamlNodes {

  private YamlNodes() {}

  /** One key of a mapping, with the line of the key. */
  record Entry(String key, int line, Node value) {}

  /** Reports a key that occurs twice in one mapping. */
  interface DuplicateKeys {
    void duplicate(String key, int line, int firstLine);
  }

  static int line(Node node) {
    return node.getStartMark().getLine() + 1;
  }

  static boolean isNull(@Nullable Node node) {
    return node == null || (node instanceof ScalarNode s && s.getTag().equals(Tag.NULL));
  }

  /** The text of a non-null scalar, or null for anything else. */
  static @Nullable String text(@Nullable Node node) {
    if (node instanceof ScalarNode s && !s.getTag().equals(Tag.NULL)) {
      return s.getValue();
    }
    return null;
  }

  /**
   * The entries of a mapping in order; a repeated key is reported and the first occurrence kept.
   * Keys that are not scalars are read by their text representation.
   */
  static Map<String, Entry> entries(MappingNode mapping, DuplicateKeys duplicates) {
    Map<String, Entry> out = new LinkedHashMap<>();
    for (NodeTuple t : mapping.getValue()) {
      String key = keyText(t.getKeyNode());
      Entry prior = out.get(key);
      if (prior != null) {
        duplicates.duplicate(key, line(t.getKeyNode()), prior.line());
        continue;
      }
      out.put(key, new Entry(key, line(t.getKeyNode()), t.getValueNode()));
    }
    return out;
  }

  private static String keyText(Node key) {
    String text = text(key);
    return text != null ? text : key instanceof ScalarNode ? "" : key.toString();
  }

  /**
   * The plain Java value of a node, as a YAML 1.1 loader would build it: maps (insertion ordered),
   * lists, String, Boolean, Integer/Long, Double, or null.
   */
  static @Nullable Object toJava(Node node, DuplicateKeys duplicates) {
    if (node instanceof MappingNode m) {
      Map<String, @Nullable Object> map = new LinkedHashMap<>();
      for (Entry e : entries(m, duplicates).values()) {
        map.put(e.key(), toJava(e.value(), duplicates));
      }
      return map;
    }
    if (node instanceof SequenceNode s) {
      List<@Nullable Object> list = new ArrayList<>(s.getValue().size());
      for (Node item : s.getValue()) {
        list.add(toJava(item, duplicates));
      }
      return list;
    }
    ScalarNode scalar = (ScalarNode) node;
    String v = scalar.getValue();
    Tag tag = scalar.getTag();
    if (tag.equals(Tag.NULL)) {
      return null;
    }
    if (tag.equals(Tag.BOOL)) {
      String lower = v.toLowerCase(Locale.ROOT);
      return lower.equals("true") || lower.equals("yes") || lower.equals("on");
    }
    if (tag.equals(Tag.INT)) {
      return integer(v);
    }
    if (tag.equals(Tag.FLOAT)) {
      try {
        return Double.parseDouble(v.replace("_", ""));
      } catch (NumberFormatException e) {
        return v;
      }
    }
    return v;
  }

  private static Object integer(String text) {
    String s = text.replace("_", "");
    try {
      long value;
      if (s.startsWith("0x") || s.startsWith("-0x") || s.startsWith("+0x")) {
        boolean negative = s.startsWith("-");
        value = Long.parseLong(s.substring(s.indexOf('x') + 1), 16);
        value = negative ? -value : value;
      } else {
        value = Long.parseLong(s.startsWith("+") ? s.substring(1) : s);
      }
      // Not a conditional expression: its numeric promotion would turn the Integer into a Long.
      if (value == (int) value) {
        return Integer.valueOf((int) value);
      }
      return Long.valueOf(value);
    } catch (NumberFormatException e) {
      return text;
    }
  }

  /**
   * The line of the node a param path such as {@code quotas[0].overrides[1].maxAmount} names inside
   * {@code root}, or of the deepest node on the way that exists; {@code fallback} when none does. A
   * path segment matches a key as written or its snake_case form, as {@link
   * dev.offpath.core.adapter.Params} reads them.
   */
  static int lineOf(@Nullable Node root, String path, int fallback) {
    int best = fallback;
    Node current = root;
    int i = 0;
    while (i < path.length() && current != null) {
      if (path.charAt(i) == '.') {
        i++;
        continue;
      }
      if (current instanceof SequenceNode seq && path.charAt(i) == '[') {
        int close = path.indexOf(']', i);
        if (close < 0) {
          break;
        }
        int index;
        try {
          index = Integer.parseInt(path.substring(i + 1, close));
        } catch (NumberFormatException e) {
          break;
        }
        if (index < 0 || index >= seq.getValue().size()) {
          break;
        }
        current = seq.getValue().get(index);
        best = line(current);
        i = close + 1;
      } else if (current instanceof MappingNode map) {
        NodeTuple match = null;
        int matchEnd = -1;
        for (NodeTuple t : map.getValue()) {
          String key = keyText(t.getKeyNode());
          int end = matchKey(path, i, key);
          if (end > matchEnd) {
            match = t;
            matchEnd = end;
          }
        }
        if (match == null) {
          break;
        }
        best = line(match.getKeyNode());
        current = match.getValueNode();
        i = matchEnd;
      } else {
        break;
      }
    }
    return best;
  }

  /** Where the path segment at {@code start} ends if it names {@code key}, else -1. */
  private static int matchKey(String path, int start, String key) {
    if (!key.isEmpty() && path.startsWith(key, start) && boundary(path, start + key.length())) {
      return start + key.length();
    }
    int end = start;
    while (end < path.length() && path.charAt(end) != '.' && path.charAt(end) != '[') {
      end++;
    }
    return snake(path.substring(start, end)).equals(key) ? end : -1;
  }

  private static boolean boundary(String path, int at) {
    return at == path.length() || path.charAt(at) == '.' || path.charAt(at) == '[';
  }

  /** {@code monitoredResourceType} → {@code monitored_resource_type}. */
  static String snake(String camel) {
    return Params.snakeCase(camel);
  }
}
