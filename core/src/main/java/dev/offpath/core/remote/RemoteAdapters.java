package dev.offpath.core.remote;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads a {@code kind: adapter}'s {@code spec.config} (a serialized {@code FileDescriptorSet}, as
 * Mixer's {@code mixgen adapter} wrote it from the adapter's {@code config.proto}): the message
 * named {@code Params} declared at the top level of the adapter's own file types the handler
 * params. Files under {@code google/} (the well-known types, {@code descriptor.proto}) are never
 * the adapter's.
 *
 * <p>Pure: no I/O. Errors are {@link IllegalArgumentException}s.
 */
public final class RemoteAdapters {

  /** The name of the message that types a handler's params, as in Mixer. */
  public static final String PARAMS = "Params";

  private RemoteAdapters() {}

  /**
   * The {@code Params} message of {@code config}.
   *
   * @throws IllegalArgumentException when the bytes are not a usable descriptor set, or declare no
   *     {@code Params} or more than one
   */
  public static Descriptor paramsType(ByteString config) {
    Map<String, FileDescriptor> files = DescriptorSets.files(config);
    List<Descriptor> found = new ArrayList<>();
    for (FileDescriptor f : files.values()) {
      if (f.getName().startsWith("google/")) {
        continue;
      }
      Descriptor params = f.findMessageTypeByName(PARAMS);
      if (params != null) {
        found.add(params);
      }
    }
    if (found.isEmpty()) {
      throw new IllegalArgumentException(
          "config declares no message "
              + PARAMS
              + " (files: "
              + String.join(", ", files.keySet())
              + ")");
    }
    if (found.size() > 1) {
      throw new IllegalArgumentException(
          "config declares "
              + found.size()
              + " messages named "
              + PARAMS
              + " ("
              + String.join(", ", found.stream().map(Descriptor::getFullName).toList())
              + "; expected: one)");
    }
    return found.get(0);
  }

  /** The {@code type_url} of params of type {@code params} in the {@code adapter_config} Any. */
  public static String typeUrl(Descriptor params) {
    return "type.googleapis.com/" + params.getFullName();
  }
}
