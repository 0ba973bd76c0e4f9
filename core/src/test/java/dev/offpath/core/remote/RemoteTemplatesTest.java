package dev.offpath.core.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import dev.offpath.core.config.Variety;
import dev.offpath.core.testing.MixerReference;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class RemoteTemplatesTest {

  private static final Pattern DESCRIPTOR = Pattern.compile("(?m)^\\s*descriptor:\\s*\"?([A-Za-z0-9+/=]+)\"?\\s*$");

  /** The base64 {@code spec.descriptor} of Istio's {@code template-<name>.yaml}. */
  static ByteString istioDescriptor(String template) throws IOException {
    String yaml = Files.readString(MixerReference.file("oop/template-" + template + ".yaml"));
    Matcher m = DESCRIPTOR.matcher(yaml);
    assertThat(m.find()).as("descriptor in template-%s.yaml", template).isTrue();
    return ByteString.copyFrom(Base64.getDecoder().decode(m.group(1)));
  }

  @ParameterizedTest
  @CsvSource({
    "listentry, CHECK, listentry.HandleListEntryService/HandleListEntry, listentry.InstanceMsg",
    "checknothing, CHECK, checknothing.HandleCheckNothingService/HandleCheckNothing, checknothing.InstanceMsg",
    "authorization, CHECK, authorization.HandleAuthorizationService/HandleAuthorization, authorization.InstanceMsg",
    "quota, QUOTA, quota.HandleQuotaService/HandleQuota, quota.InstanceMsg",
    "metric, REPORT, metric.HandleMetricService/HandleMetric, metric.InstanceMsg",
    "logentry, REPORT, logentry.HandleLogEntryService/HandleLogEntry, logentry.InstanceMsg",
  })
  void istiosStandardTemplatesParse(String name, Variety variety, String method, String instance)
      throws IOException {
    RemoteTemplate t = RemoteTemplates.parse(name, istioDescriptor(name));

    assertThat(t.name()).isEqualTo(name);
    assertThat(t.variety()).isEqualTo(variety);
    assertThat(t.fullMethodName()).isEqualTo(method);
    assertThat(t.instance().getFullName()).isEqualTo(instance);
    assertThat(t.instance().findFieldByNumber(72295727).getName()).isEqualTo("name");
    assertThat(t.request().findFieldByNumber(1).isRepeated()).isEqualTo(variety == Variety.REPORT);
    assertThat(t).isEqualTo(RemoteTemplates.parse(name, istioDescriptor(name)));
  }

  @Test
  void garbageAndIncompleteSetsAreRefusedWithAReason() throws IOException {
    assertThatThrownBy(() -> RemoteTemplates.parse("x", ByteString.copyFromUtf8("\u0001\u0002junk")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("descriptor is not a FileDescriptorSet");
    assertThatThrownBy(() -> RemoteTemplates.parse("x", ByteString.EMPTY))
        .hasMessage("descriptor set is empty");

    FileDescriptorSet set = FileDescriptorSet.parseFrom(istioDescriptor("listentry"));
    FileDescriptorSet.Builder withoutDeps = FileDescriptorSet.newBuilder();
    for (FileDescriptorProto f : set.getFileList()) {
      if (f.getServiceCount() > 0) {
        withoutDeps.addFile(f);
      }
    }
    assertThatThrownBy(() -> RemoteTemplates.parse("x", withoutDeps.build().toByteString()))
        .hasMessageContaining("descriptor set lacks");

    FileDescriptorSet.Builder noService = FileDescriptorSet.newBuilder();
    for (FileDescriptorProto f : set.getFileList()) {
      noService.addFile(f.toBuilder().clearService());
    }
    assertThatThrownBy(() -> RemoteTemplates.parse("x", noService.build().toByteString()))
        .hasMessage("descriptor declares no Handle* service");
  }
}
