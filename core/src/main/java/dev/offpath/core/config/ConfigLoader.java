package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.adapter.AdapterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Loads and validates Mixer YAML config into a {@link PolicyConfig}.
 *
 * <p>Input is multi-document YAML as Istio 1.0 and 1.1 wrote it, under {@code apiVersion:
 * config.istio.io/v1alpha2} (the generic kinds also under {@code policy.istio.io/v1beta1}):
 *
 * <ul>
 *   <li>{@code attributemanifest} — attribute types, merged over the built-in vocabulary; declaring
 *       an attribute with another type than it already has is an error.
 *   <li>{@code handler} ({@code spec.compiledAdapter} + {@code spec.params}) and Istio 1.0's
 *       per-adapter kinds ({@code kind: denier}, {@code listchecker},
 *       {@code memquota}, …) whose spec is the params. Params are parsed by the adapter's {@link
 *       dev.offpath.core.adapter.AdapterFactory#parse}; an error names the line of the offending
 *       param.
 *   <li>{@code instance} ({@code spec.compiledTemplate} or {@code spec.template} + {@code
 *       spec.params}) and the per-template kinds ({@code kind: checknothing}, {@code quota}, {@code
 *       metric}, …). Fields are compiled as expressions against the effective manifest and checked
 *       against the template's shape ({@link Templates}).
 *   <li>{@code rule} — {@code match} (a BOOL expression; empty or absent matches always), {@code
 *       actions} and request/response header operations (values are expressions of any type; {@code
 *       operation} REPLACE by default, REMOVE or APPEND). {@code sampling} is ignored with a
 *       warning.
 * </ul>
 *
 * <p>Naming: see {@link PolicyConfig} and {@link References}. An object without {@code
 * metadata.namespace} is in {@code istio-system}, Mixer's default config namespace.
 *
 * <p>What loads with a warning and is skipped: objects of other apiVersions or kinds ({@code
 * DestinationRule}, {@code QuotaSpec}, …), handlers of adapters listed in {@link
 * AdapterRegistry#KNOWN_UNSUPPORTED} or out of process ({@code spec.adapter}), instances of
 * templates Offpath does not build ({@code kubernetes}, {@code apikey}, {@code tracespan}, …), rule
 * actions whose handler or whose every instance was skipped, and a rule left with no action and no
 * header operation by those skips (a rule written with neither is an error, as it was in Mixer).
 *
 * <p>Documents of {@code apiVersion: offpath.dev/...} are Offpath's own kinds, read from the same
 * files by their own loaders (the control plane's {@code EnvoyProxy}); they are skipped silently.
 *
 * <p>Everything else wrong is an error. Validation goes on past the first: {@link ConfigException}
 * lists every error in file order, each as {@code file:line: message}. Files are named as given;
 * line 0 stands for a whole file that could not be read.
 *
 * <p>Thread-safe: each call works on its own state.
 */
public final class ConfigLoader {

  private final AdapterRegistry adapters;

  public ConfigLoader(AdapterRegistry adapters) {
    this.adapters = requireNonNull(adapters, "adapters");
  }

  /**
   * Loads files and directories (a directory: its {@code *.yaml}/{@code *.yml} files, recursively,
   * in name order).
   *
   * @throws IOException when a directory cannot be listed
   */
  public PolicyConfig load(List<Path> paths) throws ConfigException, IOException {
    requireNonNull(paths, "paths");
    PolicyCompiler compiler = new PolicyCompiler(adapters);
    for (Path path : expand(paths)) {
      String name = path.toString();
      String content;
      try {
        content = Files.readString(path, StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        compiler.unreadable(name, "no such file");
        continue;
      } catch (CharacterCodingException e) {
        compiler.unreadable(name, "not UTF-8 text");
        continue;
      } catch (IOException e) {
        compiler.unreadable(name, e.toString());
        continue;
      }
      compiler.addText(name, content);
    }
    return compiler.build();
  }

  /** Loads in-memory documents. */
  public PolicyConfig loadTexts(List<ConfigText> texts) throws ConfigException {
    requireNonNull(texts, "texts");
    PolicyCompiler compiler = new PolicyCompiler(adapters);
    for (ConfigText text : texts) {
      compiler.addText(text.name(), text.content());
    }
    return compiler.build();
  }

  private static List<Path> expand(List<Path> paths) throws IOException {
    List<Path> files = new ArrayList<>();
    for (Path path : paths) {
      requireNonNull(path, "path");
      if (!Files.isDirectory(path)) {
        files.add(path);
        continue;
      }
      try (Stream<Path> walk = Files.walk(path)) {
        walk.filter(Files::isRegularFile).filter(ConfigLoader::isYaml).sorted().forEach(files::add);
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
    }
    return files;
  }

  private static boolean isYaml(Path p) {
    String n = p.getFileName().toString();
    return n.endsWith(".yaml") || n.endsWith(".yml");
  }
}
