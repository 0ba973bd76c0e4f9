package dev.offpath.adapters.testing;

import dev.offpath.core.testing.MixerReference;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Handler params from Istio's bookinfo policy samples in {@code shared/mixer-reference/samples}.
 */
public final class Samples {

  private Samples() {}

  /**
   * The params of every handler for {@code adapter} in the sample file: the {@code spec} of an
   * Istio 1.0 per-kind handler ({@code kind: memquota}) or the {@code params} of a 1.1 generic
   * handler ({@code compiledAdapter: listchecker}).
   */
  @SuppressWarnings("unchecked")
  public static List<Map<String, Object>> handlerParams(String sample, String adapter)
      throws IOException {
    List<Map<String, Object>> out = new ArrayList<>();
    try (Reader r = Files.newBufferedReader(MixerReference.file("samples/" + sample))) {
      for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(r)) {
        if (!(doc instanceof Map<?, ?> m)) {
          continue;
        }
        Map<String, Object> spec = (Map<String, Object>) m.get("spec");
        if (adapter.equals(m.get("kind"))) {
          out.add(spec == null ? Map.of() : spec);
        } else if ("handler".equals(m.get("kind"))
            && spec != null
            && adapter.equals(spec.get("compiledAdapter"))) {
          Object params = spec.get("params");
          out.add(params == null ? Map.of() : (Map<String, Object>) params);
        }
      }
    }
    if (out.isEmpty()) {
      throw new IllegalStateException("no " + adapter + " handler in " + sample);
    }
    return out;
  }
}
