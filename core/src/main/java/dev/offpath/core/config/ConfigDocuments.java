package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.config.ConfigError.Category;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * The YAML documents of one config load, each file read and parsed exactly once: the Mixer policy
 * ({@link ConfigLoader}) and Offpath's own kinds (the control plane's {@code EnvoyProxy}) are
 * compiled from the same documents, so they always describe the same bytes.
 *
 * <p>Problems met while reading — a file that cannot be read, is not UTF-8, or is not valid YAML —
 * are kept as {@link #errors()} ({@code file:line}, line 0 for a whole file); the documents before
 * a syntax error in a file are kept, the rest of that file is not.
 *
 * <p>Immutable once built.
 */
public final class ConfigDocuments {

  /**
   * Largest document accepted, in code points: generous for config (an inline list of a quarter
   * million CIDRs is ~5 MiB), and bounded, since SnakeYAML holds a document in memory while it
   * composes it. SnakeYAML's own default (3 MiB) is too small for such lists.
   */
  static final int MAX_CODE_POINTS = 64 << 20;

  /** One YAML document of a file; {@code root} is null for an empty document. */
  public record Document(String file, Node root) {

    public Document {
      requireNonNull(file, "file");
      requireNonNull(root, "root");
    }
  }

  private final List<String> files;
  private final List<Document> documents;
  private final List<ConfigError> errors;

  private ConfigDocuments(List<String> files, List<Document> documents, List<ConfigError> errors) {
    this.files = List.copyOf(files);
    this.documents = List.copyOf(documents);
    this.errors = List.copyOf(errors);
  }

  /**
   * Reads and parses the files {@code paths} stand for ({@link ConfigFiles#list}); files are named
   * as the paths were given.
   *
   * @throws IOException when a directory cannot be listed
   */
  public static ConfigDocuments read(List<Path> paths) throws IOException {
    Builder b = new Builder();
    for (Path path : ConfigFiles.list(paths)) {
      String name = path.toString();
      String content;
      try {
        content = Files.readString(path, StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        b.unreadable(name, "no such file");
        continue;
      } catch (CharacterCodingException e) {
        b.unreadable(name, "not UTF-8 text");
        continue;
      } catch (IOException e) {
        b.unreadable(name, e.getClass().getSimpleName() + ": " + e.getMessage());
        continue;
      }
      b.parse(name, content);
    }
    return b.build();
  }

  /** Parses in-memory texts (the embedded default config, tests). */
  public static ConfigDocuments parse(List<ConfigText> texts) {
    requireNonNull(texts, "texts");
    Builder b = new Builder();
    for (ConfigText text : texts) {
      b.parse(text.name(), text.content());
    }
    return b.build();
  }

  /** The files read, in load order (errors sort by it). */
  public List<String> files() {
    return files;
  }

  /** Every non-empty document, in file order. */
  public List<Document> documents() {
    return documents;
  }

  /** Files that could not be read or parsed. */
  public List<ConfigError> errors() {
    return errors;
  }

  /** The SnakeYAML options every config document is parsed with. */
  static LoaderOptions loaderOptions() {
    LoaderOptions options = new LoaderOptions();
    options.setCodePointLimit(MAX_CODE_POINTS);
    return options;
  }

  private static final class Builder {
    final List<String> files = new ArrayList<>();
    final List<Document> documents = new ArrayList<>();
    final List<ConfigError> errors = new ArrayList<>();

    void unreadable(String file, String reason) {
      files.add(file);
      errors.add(new ConfigError(new Source(file, 0), Category.SYNTAX, "cannot read file: " + reason));
    }

    void parse(String file, String content) {
      files.add(file);
      try {
        for (Node document : new Yaml(loaderOptions()).composeAll(new StringReader(content))) {
          if (document != null) {
            documents.add(new Document(file, document));
          }
        }
      } catch (MarkedYAMLException e) {
        Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
        int line = mark == null ? 1 : mark.getLine() + 1;
        String problem = e.getProblem() == null ? "invalid YAML" : e.getProblem();
        String context = e.getContext();
        errors.add(
            new ConfigError(
                new Source(file, line),
                Category.SYNTAX,
                "invalid YAML: " + (context == null ? problem : context + ": " + problem)));
      } catch (YAMLException e) {
        errors.add(
            new ConfigError(new Source(file, 1), Category.SYNTAX, "invalid YAML: " + e.getMessage()));
      }
    }

    ConfigDocuments build() {
      return new ConfigDocuments(files, documents, errors);
    }
  }
}
