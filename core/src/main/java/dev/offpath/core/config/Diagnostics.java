package dev.offpath.core.config;

import dev.offpath.core.config.ConfigError.Category;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Errors and warnings collected over a whole load. Validation runs in phases (manifests, handlers,
 * instances, rules), so findings arrive out of file order; {@link #errors()} and {@link
 * #warnings()} return them sorted by file (in the order the files were given) and line, stable
 * within a line.
 */
final class Diagnostics {

  private final Map<String, Integer> fileOrder = new HashMap<>();
  private final List<ConfigError> errors = new ArrayList<>();
  private final List<ConfigWarning> warnings = new ArrayList<>();

  void file(String name) {
    fileOrder.putIfAbsent(name, fileOrder.size());
  }

  void error(Source source, Category category, String message) {
    errors.add(new ConfigError(source, category, message));
  }

  void warning(Source source, String message) {
    warnings.add(new ConfigWarning(source, message));
  }

  boolean hasErrors() {
    return !errors.isEmpty();
  }

  List<ConfigError> errors() {
    List<ConfigError> sorted = new ArrayList<>(errors);
    sorted.sort(Comparator.comparing(ConfigError::source, sourceOrder()));
    return sorted;
  }

  List<ConfigWarning> warnings() {
    List<ConfigWarning> sorted = new ArrayList<>(warnings);
    sorted.sort(Comparator.comparing(ConfigWarning::source, sourceOrder()));
    return sorted;
  }

  private Comparator<Source> sourceOrder() {
    return Comparator.<Source>comparingInt(s -> fileOrder.getOrDefault(s.file(), Integer.MAX_VALUE))
        .thenComparingInt(Source::line);
  }
}
