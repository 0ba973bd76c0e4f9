package dev.offpath.core.remote;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the files of a serialized, self-contained {@code FileDescriptorSet} (a template's {@code
 * spec.descriptor}, an adapter's {@code spec.config}, as Mixer's {@code mixgen} wrote them) into
 * {@link FileDescriptor}s, each after its dependencies. Pure; errors are {@link
 * IllegalArgumentException}s.
 */
final class DescriptorSets {

  private DescriptorSets() {}

  /** Every file of the set by name, in the set's order. */
  static Map<String, FileDescriptor> files(ByteString bytes) {
    FileDescriptorSet set;
    try {
      set = FileDescriptorSet.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("descriptor is not a FileDescriptorSet: " + e.getMessage());
    }
    Map<String, FileDescriptorProto> protos = new LinkedHashMap<>();
    for (FileDescriptorProto p : set.getFileList()) {
      protos.putIfAbsent(p.getName(), p);
    }
    if (protos.isEmpty()) {
      throw new IllegalArgumentException("descriptor set is empty");
    }
    Map<String, FileDescriptor> built = new LinkedHashMap<>();
    for (String file : protos.keySet()) {
      build(file, protos, built, new ArrayList<>());
    }
    return built;
  }

  private static FileDescriptor build(
      String name,
      Map<String, FileDescriptorProto> protos,
      Map<String, FileDescriptor> built,
      List<String> path) {
    FileDescriptor done = built.get(name);
    if (done != null) {
      return done;
    }
    if (path.contains(name)) {
      throw new IllegalArgumentException("descriptor set: import cycle through " + name);
    }
    FileDescriptorProto proto = protos.get(name);
    if (proto == null) {
      throw new IllegalArgumentException(
          "descriptor set lacks " + name + ", imported by " + path.get(path.size() - 1));
    }
    path.add(name);
    List<FileDescriptor> deps = new ArrayList<>();
    for (String dep : proto.getDependencyList()) {
      deps.add(build(dep, protos, built, path));
    }
    path.remove(path.size() - 1);
    try {
      FileDescriptor f = FileDescriptor.buildFrom(proto, deps.toArray(FileDescriptor[]::new));
      built.put(name, f);
      return f;
    } catch (DescriptorValidationException e) {
      throw new IllegalArgumentException("descriptor set: " + name + ": " + e.getMessage());
    }
  }
}
