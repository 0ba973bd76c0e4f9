package dev.offpath.envoy.attributes;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a validating scan must know of a message tree, taken from protobuf-java's own descriptors:
 * for every message type reachable from a root, which length-delimited field numbers are strings
 * (UTF-8 checked, as protobuf-java does for proto3) and which are messages (parsed, so checked
 * recursively). Every other field — scalars, bytes, unknown numbers, a known number with another
 * wire type — is skipped by its wire type, exactly as protobuf-java's generated parsers treat it.
 *
 * <p>Fails at construction if the tree has what {@link WireReader} does not implement: packed
 * repeated scalars, groups, proto2 files or extensions (CheckRequest has none of them).
 *
 * <p>Immutable; built once per root.
 */
final class WireSchema {

  /** A length-delimited field whose bytes are skipped (bytes, or not a known LEN field). */
  static final int SKIP = 0;

  /** A proto3 string: valid UTF-8 or the message is rejected. */
  static final int STRING = -1;

  private final List<Descriptor> types = new ArrayList<>();
  private final Map<String, Integer> byName = new HashMap<>();
  private final int[][] lenKind;

  WireSchema(Descriptor root) {
    add(root);
    lenKind = new int[types.size()][];
    for (int t = 0; t < types.size(); t++) {
      Descriptor d = types.get(t);
      int max = 0;
      for (FieldDescriptor f : d.getFields()) {
        max = Math.max(max, f.getNumber());
      }
      int[] kinds = new int[max + 1];
      for (FieldDescriptor f : d.getFields()) {
        if (f.isPackable() || f.getType() == FieldDescriptor.Type.GROUP) {
          throw new IllegalStateException(d.getFullName() + "." + f.getName() + ": unsupported");
        }
        kinds[f.getNumber()] =
            switch (f.getType()) {
              case STRING -> STRING;
              case MESSAGE -> type(f.getMessageType()) + 1;
              default -> SKIP;
            };
      }
      lenKind[t] = kinds;
    }
  }

  private void add(Descriptor d) {
    if (byName.containsKey(d.getFullName())) {
      return;
    }
    if (!"proto3".equals(d.getFile().toProto().getSyntax()) || d.isExtendable()) {
      throw new IllegalStateException(d.getFullName() + ": not a proto3 message without extensions");
    }
    byName.put(d.getFullName(), types.size());
    types.add(d);
    for (FieldDescriptor f : d.getFields()) {
      if (f.getType() == FieldDescriptor.Type.MESSAGE) {
        add(f.getMessageType());
      }
    }
  }

  /** The index of message type {@code d}. */
  int type(Descriptor d) {
    Integer t = byName.get(d.getFullName());
    if (t == null) {
      throw new IllegalArgumentException(d.getFullName() + ": not reachable from the root");
    }
    return t;
  }

  /**
   * How field {@code number} of type {@code type} reads when length-delimited: {@link #SKIP},
   * {@link #STRING}, or a message type index plus one. {@code type} -1 is an unknown group's body.
   */
  int lenKind(int type, int number) {
    if (type < 0) {
      return SKIP;
    }
    int[] kinds = lenKind[type];
    return number < kinds.length ? kinds[number] : SKIP;
  }

  /**
   * Asserts that field {@code number} of {@code d} is {@code name} of type {@code type}: a scanner
   * that decodes a field by number checks its assumption once, at class initialisation.
   */
  static void expect(Descriptor d, int number, String name, FieldDescriptor.Type type) {
    FieldDescriptor f = d.findFieldByNumber(number);
    if (f == null || !f.getName().equals(name) || f.getType() != type) {
      throw new IllegalStateException(
          d.getFullName() + " field " + number + ": expected " + name + " (" + type + "), found " + f);
    }
  }
}
