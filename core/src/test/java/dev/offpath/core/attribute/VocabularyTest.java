package dev.offpath.core.attribute;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.testing.MixerReference;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

class VocabularyTest {

  @ParameterizedTest
  @ValueSource(strings = {"istio-1.0-mixer-config.yaml", "istio-1.1-mixer-config.yaml"})
  void declaresEveryAttributeOfIstiosDefaultManifestsWithTheirTypes(String file) throws IOException {
    Map<String, ValueType> declared = manifestAttributes(file);
    assertThat(declared).isNotEmpty();
    assertThat(Vocabulary.builtin().all()).containsAllEntriesOf(declared);
  }

  @Test
  void includesTheIstio11Additions() {
    AttributeManifest v = Vocabulary.builtin();
    assertThat(v.typeOf("request.url_path")).isEqualTo(ValueType.STRING);
    assertThat(v.typeOf("request.query_params")).isEqualTo(ValueType.STRING_MAP);
    assertThat(v.typeOf("response.grpc_status")).isEqualTo(ValueType.STRING);
    assertThat(v.typeOf("response.grpc_message")).isEqualTo(ValueType.STRING);
    assertThat(v.typeOf("request.auth.claims")).isEqualTo(ValueType.STRING_MAP);
    assertThat(v.typeOf("connection.mtls")).isEqualTo(ValueType.BOOL);
    assertThat(v.typeOf("destination.service.host")).isEqualTo(ValueType.STRING);
    assertThat(v.typeOf("no.such.attribute")).isNull();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, ValueType> manifestAttributes(String file) throws IOException {
    Map<String, ValueType> out = new LinkedHashMap<>();
    try (Reader r = Files.newBufferedReader(MixerReference.file(file))) {
      for (Object doc : new Yaml(new LoaderOptions()).loadAll(r)) {
        if (doc instanceof Map<?, ?> m && "attributemanifest".equals(m.get("kind"))) {
          Map<String, Object> spec = (Map<String, Object>) m.get("spec");
          Map<String, Map<String, Object>> attrs = (Map<String, Map<String, Object>>) spec.get("attributes");
          attrs.forEach((name, a) -> out.put(name, ValueType.valueOf(String.valueOf(a.get("valueType")))));
        }
      }
    }
    return out;
  }
}
