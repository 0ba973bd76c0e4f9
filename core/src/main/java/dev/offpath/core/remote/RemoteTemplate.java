package dev.offpath.core.remote;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import dev.offpath.core.config.Variety;

/**
 * A {@code kind: template} object, compiled: the template's name (what an instance's {@code
 * template:} and an adapter's {@code templates:} say), its {@link Variety} (from the file option
 * {@code istio.mixer.adapter.model.v1beta1.template_variety}), the gRPC method its handlers serve
 * ({@code <package>.Handle<T>Service/Handle<T>}, the first {@code Handle*} service's first method)
 * with its request message, and the {@code InstanceMsg} message that types the instance's fields.
 *
 * <p>Equality is by name, variety and the descriptor set's bytes, so a reload that reads the same
 * template again compares equal (descriptors themselves compare by identity).
 *
 * <p>Immutable and thread-safe.
 */
public final class RemoteTemplate {

  private final String name;
  private final Variety variety;
  private final ByteString descriptorSet;
  private final String fullMethodName;
  private final Descriptor request;
  private final Descriptor instance;

  /**
   * @param descriptorSet the template's {@code spec.descriptor}, decoded (a serialized {@code
   *     FileDescriptorSet})
   * @param fullMethodName {@code <package>.Handle<T>Service/Handle<T>}
   * @param request the method's input ({@code Handle<T>Request})
   * @param instance the template's {@code InstanceMsg}
   */
  public RemoteTemplate(
      String name,
      Variety variety,
      ByteString descriptorSet,
      String fullMethodName,
      Descriptor request,
      Descriptor instance) {
    this.name = requireNonNull(name, "name");
    this.variety = requireNonNull(variety, "variety");
    this.descriptorSet = requireNonNull(descriptorSet, "descriptorSet");
    this.fullMethodName = requireNonNull(fullMethodName, "fullMethodName");
    this.request = requireNonNull(request, "request");
    this.instance = requireNonNull(instance, "instance");
  }

  public String name() {
    return name;
  }

  public Variety variety() {
    return variety;
  }

  public ByteString descriptorSet() {
    return descriptorSet;
  }

  public String fullMethodName() {
    return fullMethodName;
  }

  public Descriptor request() {
    return request;
  }

  public Descriptor instance() {
    return instance;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RemoteTemplate t
        && name.equals(t.name)
        && variety == t.variety
        && descriptorSet.equals(t.descriptorSet);
  }

  @Override
  public int hashCode() {
    return (name.hashCode() * 31 + variety.hashCode()) * 31 + descriptorSet.hashCode();
  }

  @Override
  public String toString() {
    return "RemoteTemplate[" + name + ", " + variety + ", " + fullMethodName + "]";
  }
}
