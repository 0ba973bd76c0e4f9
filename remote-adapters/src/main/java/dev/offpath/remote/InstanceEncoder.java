package dev.offpath.remote;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.InstanceFields;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.ValueType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Encodes {@link Instance}s as a template's {@code InstanceMsg}, from the descriptor alone: no
 * protoc, no generated code, no {@code DynamicMessage}.
 *
 * <p><b>Plan.</b> Built once per template ({@link #of}): the message tree of {@code InstanceMsg}
 * becomes nodes of fields sorted by number, each with its precomputed tag and {@link ValueCodec};
 * every singular leaf gets a slot, addressed by the instance field's dotted path of proto field
 * names ({@code value}, {@code subject.user}); every map field gets a map slot, whose entries are
 * the instance fields under its path ({@code dimensions.source} is key {@code source} of {@code
 * dimensions}; a STRING_MAP value at {@code dimensions} itself contributes all its entries). The
 * field {@code name} (72295727) is the instance's full name.
 *
 * <p><b>Encoding</b> takes two passes over the plan: {@link #prepare} sorts the instance's values
 * into slots (by position for an {@link InstanceFields} layout seen before: no string hashing)
 * and computes every message's size; {@link #writeTo} then writes tags and values straight into a
 * {@link CodedOutputStream} of exactly that size. Map entries are written sorted by key, so equal
 * instances always encode to equal bytes (the check handler shares calls by them, the quota
 * handler keys its pools by them). The bytes are those protobuf writes for the same message.
 *
 * <p>An instance field the template lacks, or a value whose type does not fit its field, fails the
 * instance with an {@link IllegalArgumentException} (the config compiler type-checks instances
 * against the template, so this means a mismatch between the two, reported, never sent half).
 *
 * <p>Immutable and thread-safe; {@link Prepared} objects belong to one thread.
 */
public final class InstanceEncoder {

  /** The {@code InstanceMsg} field that carries the instance's name. */
  static final int NAME_FIELD = 72295727;

  private static final int MAX_DEPTH = 8;
  private static final int BINDING_CACHE = 8;

  private final Descriptor type;
  private final Node root;
  private final int nameNumber;
  private final int scalarCount;
  private final int nodeCount;
  private final Map<String, Integer> scalarSlots;
  /** Map fields by slot: path + "." and the path. */
  private final String[] mapPrefixes;
  private final String[] mapPaths;
  private final Map<String, String> unsupported;
  private volatile Binding[] bindings = new Binding[0];

  private InstanceEncoder(Descriptor type, Map<String, ValueType> hints) {
    this.type = type;
    FieldDescriptor name = type.findFieldByNumber(NAME_FIELD);
    if (name == null) {
      name = type.findFieldByName("name");
    }
    if (name == null || name.getType() != FieldDescriptor.Type.STRING) {
      throw new IllegalArgumentException(
          type.getFullName() + " has no string field name (" + NAME_FIELD + ")");
    }
    this.nameNumber = name.getNumber();
    Builder b = new Builder(hints);
    this.root = b.node(type, "", 0, nameNumber);
    this.scalarCount = b.scalarSlots.size();
    this.nodeCount = b.nodes;
    this.scalarSlots = Map.copyOf(b.scalarSlots);
    this.mapPrefixes = b.mapPaths.stream().map(p -> p + ".").toArray(String[]::new);
    this.mapPaths = b.mapPaths.toArray(String[]::new);
    this.unsupported = Map.copyOf(b.unsupported);
  }

  /** The plan of {@code instanceMsg}, strings sent as {@code string_value}. */
  public static InstanceEncoder of(Descriptor instanceMsg) {
    return of(instanceMsg, Map.of());
  }

  /**
   * The plan of {@code instanceMsg}.
   *
   * @param hints declared expression types by field path (map fields: by the map's path); an
   *     EMAIL_ADDRESS, DNS_NAME or URI string goes in {@code Value}'s matching wrapper instead of
   *     {@code string_value}
   * @throws IllegalArgumentException when the message is not a usable {@code InstanceMsg}
   */
  public static InstanceEncoder of(Descriptor instanceMsg, Map<String, ValueType> hints) {
    return new InstanceEncoder(requireNonNull(instanceMsg, "instanceMsg"), hints);
  }

  public Descriptor type() {
    return type;
  }

  /** The instance's values sorted into the plan's slots, with every message's size. */
  public static final class Prepared {
    final String name;
    final @Nullable Object[] scalars;
    final @Nullable MapEntries[] maps;
    final int[] nodeSizes;
    int size;

    Prepared(String name, int scalars, int maps, int nodes) {
      this.name = name;
      this.scalars = new Object[scalars];
      this.maps = new MapEntries[maps];
      this.nodeSizes = new int[nodes];
    }

    /** The size of the {@code InstanceMsg}'s content. */
    public int size() {
      return size;
    }
  }

  /** Encodes {@code instance} as the content of an {@code InstanceMsg}. */
  public byte[] encode(Instance instance) {
    Prepared p = prepare(instance);
    byte[] out = new byte[p.size];
    CodedOutputStream stream = CodedOutputStream.newInstance(out);
    writeTo(stream, p);
    stream.checkNoSpaceLeft();
    return out;
  }

  /**
   * Sorts {@code instance}'s values into slots and computes the sizes {@link #writeTo} needs.
   *
   * @throws IllegalArgumentException for a field the template lacks or a value that does not fit
   */
  public Prepared prepare(Instance instance) {
    Prepared p = new Prepared(instance.name(), scalarCount, mapPaths.length, nodeCount);
    Map<String, Object> fields = instance.fields();
    if (fields instanceof InstanceFields positional) {
      binding(positional.layout()).gather(positional, p);
    } else {
      for (Map.Entry<String, Object> e : fields.entrySet()) {
        put(p, e.getKey(), e.getValue());
      }
    }
    for (MapEntries entries : p.maps) {
      if (entries != null) {
        entries.sort();
      }
    }
    try {
      p.size = size(root, p);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("instance " + instance.name() + ": " + e.getMessage(), e);
    }
    return p;
  }

  /** Writes the content of the {@code InstanceMsg} {@code p} was prepared for. */
  public void writeTo(CodedOutputStream out, Prepared p) {
    try {
      write(root, p, out);
    } catch (IOException e) {
      throw new IllegalStateException("encoding into a buffer of the computed size", e);
    }
  }

  private void put(Prepared p, String key, Object value) {
    Integer slot = scalarSlots.get(key);
    if (slot != null) {
      p.scalars[slot] = value;
      return;
    }
    for (int i = 0; i < mapPrefixes.length; i++) {
      if (key.startsWith(mapPrefixes[i])) {
        entries(p, i, 4).add(key.substring(mapPrefixes[i].length()), value);
        return;
      }
      if (key.equals(mapPaths[i]) && value instanceof StringMap m) {
        MapEntries entries = entries(p, i, m.asMap().size());
        m.asMap().forEach(entries::add);
        return;
      }
    }
    throw unknown(p.name, key);
  }

  private IllegalArgumentException unknown(String instance, String key) {
    String why = unsupported.get(key);
    return new IllegalArgumentException(
        "instance "
            + instance
            + ": field "
            + key
            + (why != null ? ": " + why : " is not a field of " + type.getFullName()));
  }

  private static MapEntries entries(Prepared p, int slot, int capacity) {
    MapEntries e = p.maps[slot];
    if (e == null) {
      e = new MapEntries(capacity);
      p.maps[slot] = e;
    }
    return e;
  }

  private int size(Node node, Prepared p) {
    int size = 0;
    for (Field f : node.fields) {
      switch (f.kind) {
        case NAME -> size += p.name.isEmpty() ? 0 : CodedOutputStream.computeStringSize(f.number, p.name);
        case SCALAR -> {
          Object v = p.scalars[f.slot];
          if (v != null) {
            size += field(f, v).size(v);
          }
        }
        case MAP -> {
          MapEntries e = p.maps[f.slot];
          if (e != null) {
            for (int i = 0; i < e.n; i++) {
              Object value = e.values[i];
              int valueSize = field(f, value).size(value);
              int entry = keySize(f, e.keys[i], e.keyBytes[i]) + valueSize;
              e.valueSizes[i] = valueSize;
              e.sizes[i] = entry;
              size += ValueCodec.lengthDelimitedSize(f.number, entry);
            }
          }
        }
        case NESTED -> {
          Node child = requireNonNull(f.child);
          int content = size(child, p);
          p.nodeSizes[child.index] = content;
          if (content > 0) {
            size += ValueCodec.lengthDelimitedSize(f.number, content);
          }
        }
      }
    }
    return size;
  }

  private static ValueCodec field(Field f, Object value) {
    ValueCodec codec = f.codec;
    if (codec == null) {
      throw new IllegalArgumentException("field " + f.path + ": " + f.unsupported);
    }
    return codec;
  }

  private static int keySize(Field f, String key, byte @Nullable [] utf8) {
    if (utf8 != null) {
      return utf8.length == 0 ? 0 : ValueCodec.lengthDelimitedSize(f.keyNumber, utf8.length);
    }
    return key.isEmpty() ? 0 : CodedOutputStream.computeStringSize(f.keyNumber, key);
  }

  private void write(Node node, Prepared p, CodedOutputStream out) throws IOException {
    for (Field f : node.fields) {
      switch (f.kind) {
        case NAME -> {
          if (!p.name.isEmpty()) {
            out.writeString(f.number, p.name);
          }
        }
        case SCALAR -> {
          Object v = p.scalars[f.slot];
          if (v != null) {
            field(f, v).write(out, v);
          }
        }
        case MAP -> {
          MapEntries e = p.maps[f.slot];
          if (e != null) {
            ValueCodec codec = requireNonNull(f.codec);
            for (int i = 0; i < e.n; i++) {
              ValueCodec.writeHeader(out, f.number, e.sizes[i]);
              byte[] utf8 = e.keyBytes[i];
              if (utf8 != null) {
                if (utf8.length > 0) {
                  ValueCodec.writeHeader(out, f.keyNumber, utf8.length);
                  out.writeRawBytes(utf8);
                }
              } else if (!e.keys[i].isEmpty()) {
                out.writeString(f.keyNumber, e.keys[i]);
              }
              codec.write(out, e.values[i], e.valueSizes[i]);
            }
          }
        }
        case NESTED -> {
          Node child = requireNonNull(f.child);
          int content = p.nodeSizes[child.index];
          if (content > 0) {
            ValueCodec.writeHeader(out, f.number, content);
            write(child, p, out);
          }
        }
      }
    }
  }

  /**
   * Where each position of an {@link InstanceFields.Layout} goes, computed once per layout: its
   * slot, and for a map entry its key and the key's UTF-8 bytes. Positions are visited scalars
   * first, then map entries by map and key, so each map's entries arrive sorted.
   */
  private final class Binding {
    final InstanceFields.Layout layout;
    final int[] order;
    final int[] scalarSlot;
    final int[] mapSlot;
    final @Nullable String[] mapKey;
    final byte[] @Nullable [] mapKeyUtf8;
    /** Entries each map slot gets from keyed positions (its initial capacity). */
    final int[] mapCount;

    Binding(InstanceFields.Layout layout) {
      this.layout = layout;
      int n = layout.size();
      scalarSlot = new int[n];
      mapSlot = new int[n];
      mapKey = new String[n];
      mapKeyUtf8 = new byte[n][];
      mapCount = new int[mapPrefixes.length];
      for (int i = 0; i < n; i++) {
        String key = layout.name(i);
        scalarSlot[i] = scalarSlots.getOrDefault(key, -1);
        mapSlot[i] = -1;
        if (scalarSlot[i] >= 0) {
          continue;
        }
        for (int m = 0; m < mapPrefixes.length; m++) {
          if (key.startsWith(mapPrefixes[m])) {
            mapSlot[i] = m;
            String k = key.substring(mapPrefixes[m].length());
            mapKey[i] = k;
            mapKeyUtf8[i] = k.getBytes(StandardCharsets.UTF_8);
            mapCount[m]++;
            break;
          }
          if (key.equals(mapPaths[m])) {
            mapSlot[i] = m; // a whole STRING_MAP: mapKey stays null
            break;
          }
        }
      }
      Integer[] sorted = new Integer[n];
      for (int i = 0; i < n; i++) {
        sorted[i] = i;
      }
      Arrays.sort(
          sorted,
          Comparator.<Integer>comparingInt(i -> mapSlot[i])
              .thenComparingInt(i -> mapKey[i] == null ? 1 : 0)
              .thenComparing(i -> mapKey[i] == null ? "" : mapKey[i]));
      order = new int[n];
      for (int i = 0; i < n; i++) {
        order[i] = sorted[i];
      }
    }

    void gather(InstanceFields fields, Prepared p) {
      for (int i : order) {
        Object v = fields.value(i);
        if (v == null) {
          continue;
        }
        String key = mapKey[i];
        byte[] utf8 = mapKeyUtf8[i];
        if (scalarSlot[i] >= 0) {
          p.scalars[scalarSlot[i]] = v;
        } else if (mapSlot[i] >= 0 && key != null && utf8 != null) {
          entries(p, mapSlot[i], mapCount[mapSlot[i]]).addInOrder(key, utf8, v);
        } else if (mapSlot[i] >= 0 && v instanceof StringMap m) {
          MapEntries entries = entries(p, mapSlot[i], m.asMap().size());
          m.asMap().forEach(entries::add);
        } else {
          throw unknown(p.name, layout.name(i));
        }
      }
    }
  }

  private Binding binding(InstanceFields.Layout layout) {
    Binding[] cached = bindings;
    for (Binding b : cached) {
      if (b.layout == layout) {
        return b;
      }
    }
    Binding b = new Binding(layout);
    // A small copy-on-write cache: a handler sees a few instance configs per template.
    Binding[] next = new Binding[Math.min(cached.length + 1, BINDING_CACHE)];
    next[0] = b;
    System.arraycopy(cached, 0, next, 1, next.length - 1);
    bindings = next;
    return b;
  }

  private enum Kind {
    NAME,
    SCALAR,
    MAP,
    NESTED
  }

  private static final class Field {
    final Kind kind;
    final int number;
    final String path;
    int slot = -1;
    int keyNumber;
    @Nullable ValueCodec codec;
    @Nullable String unsupported;
    @Nullable Node child;

    Field(Kind kind, int number, String path) {
      this.kind = kind;
      this.number = number;
      this.path = path;
    }
  }

  private static final class Node {
    final int index;
    final Field[] fields;

    Node(int index, Field[] fields) {
      this.index = index;
      this.fields = fields;
    }
  }

  private static final class Builder {
    final Map<String, ValueType> hints;
    final Map<String, Integer> scalarSlots = new HashMap<>();
    final List<String> mapPaths = new ArrayList<>();
    final Map<String, String> unsupported = new HashMap<>();
    int nodes;

    Builder(Map<String, ValueType> hints) {
      this.hints = hints;
    }

    Node node(Descriptor type, String prefix, int depth, int nameNumber) {
      if (depth > MAX_DEPTH) {
        throw new IllegalArgumentException(
            type.getFullName() + ": messages nested deeper than " + MAX_DEPTH);
      }
      int index = nodes++;
      List<FieldDescriptor> sorted = new ArrayList<>(type.getFields());
      sorted.sort(Comparator.comparingInt(FieldDescriptor::getNumber));
      List<Field> fields = new ArrayList<>();
      for (FieldDescriptor fd : sorted) {
        String path = prefix + fd.getName();
        if (depth == 0 && fd.getNumber() == nameNumber) {
          fields.add(new Field(Kind.NAME, fd.getNumber(), path));
          continue;
        }
        if (fd.isMapField()) {
          Field f = new Field(Kind.MAP, fd.getNumber(), path);
          Descriptor entry = fd.getMessageType();
          FieldDescriptor key = entry.findFieldByName("key");
          f.keyNumber = key.getNumber();
          f.slot = mapPaths.size();
          mapPaths.add(path);
          if (key.getType() != FieldDescriptor.Type.STRING) {
            f.unsupported = "map keys of type " + key.getType() + " are not supported";
            unsupported.put(path, f.unsupported);
          } else {
            codec(f, entry.findFieldByName("value"), hints.get(path));
          }
          fields.add(f);
        } else if (fd.getJavaType() == FieldDescriptor.JavaType.MESSAGE
            && !isValueType(fd.getMessageType())
            && !fd.isRepeated()) {
          Field f = new Field(Kind.NESTED, fd.getNumber(), path);
          f.child = node(fd.getMessageType(), path + ".", depth + 1, nameNumber);
          fields.add(f);
        } else {
          Field f = new Field(Kind.SCALAR, fd.getNumber(), path);
          f.slot = scalarSlots.size();
          scalarSlots.put(path, f.slot);
          if (fd.isRepeated()) {
            f.unsupported = "repeated fields are not supported";
          } else {
            codec(f, fd, hints.get(path));
          }
          fields.add(f);
        }
      }
      return new Node(index, fields.toArray(Field[]::new));
    }

    private void codec(Field f, FieldDescriptor fd, @Nullable ValueType hint) {
      try {
        f.codec = ValueCodec.of(fd, hint);
      } catch (IllegalArgumentException e) {
        f.unsupported = e.getMessage();
      }
      if (f.unsupported != null) {
        unsupported.put(f.path, f.unsupported);
      }
    }

    private static boolean isValueType(Descriptor d) {
      String n = d.getFullName();
      return n.startsWith("istio.policy.v1beta1.")
          || n.equals("google.protobuf.Timestamp")
          || n.equals("google.protobuf.Duration");
    }
  }
}
