package dev.offpath.core.remote;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.UnknownFieldSet;
import dev.offpath.core.config.Variety;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Reads a {@code kind: template}'s {@code spec.descriptor} (a serialized {@code FileDescriptorSet},
 * self-contained as Mixer's {@code mixgen} wrote it) into a {@link RemoteTemplate}: the file that
 * declares a service named {@code Handle*} is the template's; its first such service's first method
 * is the RPC, that file's {@code InstanceMsg} the instance type, and its file option {@code
 * istio.mixer.adapter.model.v1beta1.template_variety} the variety.
 *
 * <p>Pure: no I/O. Errors are {@link IllegalArgumentException}s whose message reads well after
 * "template 'x': ".
 */
public final class RemoteTemplates {

  /** The extension's field number on {@code FileOptions} when the set does not declare it. */
  static final int TEMPLATE_VARIETY_FIELD = 72295727;

  private static final String VARIETY_EXTENSION = "istio.mixer.adapter.model.v1beta1.template_variety";

  /** A variety the runtime does not dispatch ({@code ATTRIBUTE_GENERATOR}, …). */
  public static final class UnsupportedVarietyException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final String variety;

    UnsupportedVarietyException(String variety) {
      super("template variety " + variety + " is not supported (expected: CHECK, QUOTA or REPORT)");
      this.variety = variety;
    }

    public String variety() {
      return variety;
    }
  }

  private RemoteTemplates() {}

  /**
   * The template {@code name} described by {@code descriptorSet}.
   *
   * @throws UnsupportedVarietyException for a variety other than check, quota and report
   * @throws IllegalArgumentException when the bytes are not a usable descriptor set
   */
  public static RemoteTemplate parse(String name, ByteString descriptorSet) {
    Map<String, FileDescriptor> files = DescriptorSets.files(descriptorSet);
    FileDescriptor file = null;
    ServiceDescriptor service = null;
    for (FileDescriptor f : files.values()) {
      for (ServiceDescriptor s : f.getServices()) {
        if (s.getName().startsWith("Handle")) {
          file = f;
          service = s;
          break;
        }
      }
      if (service != null) {
        break;
      }
    }
    if (file == null || service == null) {
      throw new IllegalArgumentException("descriptor declares no Handle* service");
    }
    if (service.getMethods().isEmpty()) {
      throw new IllegalArgumentException("service " + service.getFullName() + " has no method");
    }
    MethodDescriptor method = service.getMethods().get(0);
    Descriptor instance = file.findMessageTypeByName("InstanceMsg");
    if (instance == null) {
      throw new IllegalArgumentException(
          "descriptor declares no InstanceMsg in package " + file.getPackage());
    }
    Variety variety = variety(file, files);
    FieldDescriptor instanceField = method.getInputType().findFieldByNumber(1);
    if (instanceField == null
        || instanceField.getJavaType() != FieldDescriptor.JavaType.MESSAGE
        || !instanceField.getMessageType().getFullName().equals(instance.getFullName())
        || instanceField.isRepeated() != (variety == Variety.REPORT)) {
      throw new IllegalArgumentException(
          method.getInputType().getFullName()
              + ": field 1 is not "
              + (variety == Variety.REPORT ? "repeated " : "")
              + instance.getFullName());
    }
    return new RemoteTemplate(
        name,
        variety,
        descriptorSet,
        service.getFullName() + "/" + method.getName(),
        method.getInputType(),
        instance);
  }

  /** The file's {@code template_variety} option; an unset option is CHECK, the enum's zero. */
  private static Variety variety(FileDescriptor file, Map<String, FileDescriptor> files) {
    int number = TEMPLATE_VARIETY_FIELD;
    FieldDescriptor ext = extension(files);
    Map<Integer, String> names = new HashMap<>();
    if (ext != null) {
      number = ext.getNumber();
      if (ext.getJavaType() == FieldDescriptor.JavaType.ENUM) {
        ext.getEnumType().getValues().forEach(v -> names.put(v.getNumber(), v.getName()));
      }
    }
    UnknownFieldSet.Field field = file.getOptions().getUnknownFields().getField(number);
    long value = field.getVarintList().isEmpty() ? 0 : field.getVarintList().get(0);
    // Istio's TemplateVariety: CHECK = 0, REPORT = 1, QUOTA = 2, ATTRIBUTE_GENERATOR = 3,
    // CHECK_WITH_OUTPUT = 4; the set's own enum, when it declares one, names the value.
    String variety = names.getOrDefault((int) value, "TEMPLATE_VARIETY_" + value);
    return switch (variety) {
      case "TEMPLATE_VARIETY_CHECK", "TEMPLATE_VARIETY_0" -> Variety.CHECK;
      case "TEMPLATE_VARIETY_REPORT", "TEMPLATE_VARIETY_1" -> Variety.REPORT;
      case "TEMPLATE_VARIETY_QUOTA", "TEMPLATE_VARIETY_2" -> Variety.QUOTA;
      default -> throw new UnsupportedVarietyException(variety);
    };
  }

  private static @Nullable FieldDescriptor extension(Map<String, FileDescriptor> files) {
    for (FileDescriptor f : files.values()) {
      for (FieldDescriptor e : f.getExtensions()) {
        if (e.getFullName().equals(VARIETY_EXTENSION)) {
          return e;
        }
      }
    }
    return null;
  }
}
