package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

import dev.offpath.core.expr.Expression;
import dev.offpath.core.remote.RemoteTemplate;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A validated template instance: its template and {@link Variety}, and its fields as compiled
 * expressions keyed by dotted path ({@code value}, {@code dimensions.source}; see {@link
 * dev.offpath.core.adapter.Instance}), in config order.
 *
 * <p>{@code remoteTemplate} is set for an instance of an out-of-process template ({@code
 * spec.template} naming a {@code kind: template} object, README "Out-of-process adapters") and null
 * for one of a compiled-in template; the two may share a name ({@code listentry}). A remote
 * instance's fields are keyed by the dotted path of the InstanceMsg's proto field names ({@code
 * dimensions.source_service}, {@code subject.user}, {@code subject.properties.role}), which the
 * remote encoder relies on.
 */
public record InstanceConfig(
    String name,
    String template,
    Variety variety,
    Map<String, Expression> fields,
    Source source,
    @Nullable RemoteTemplate remoteTemplate) {

  public InstanceConfig {
    requireNonNull(name, "name");
    requireNonNull(template, "template");
    requireNonNull(variety, "variety");
    fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    requireNonNull(source, "source");
    if (remoteTemplate != null
        && (!remoteTemplate.name().equals(template) || remoteTemplate.variety() != variety)) {
      throw new IllegalArgumentException(
          "template " + template + "/" + variety + " is not remote template " + remoteTemplate);
    }
  }

  /** An instance of a compiled-in template. */
  public InstanceConfig(
      String name, String template, Variety variety, Map<String, Expression> fields, Source source) {
    this(name, template, variety, fields, source, null);
  }

  /** An instance of one of the compiled-in templates, whose variety is known. */
  public InstanceConfig(String name, String template, Map<String, Expression> fields, Source source) {
    this(name, template, compiledVariety(template), fields, source, null);
  }

  /** An instance of the out-of-process template {@code remote}. */
  public static InstanceConfig remote(
      String name, RemoteTemplate remote, Map<String, Expression> fields, Source source) {
    return new InstanceConfig(name, remote.name(), remote.variety(), fields, source, remote);
  }

  /** Whether this is an instance of an out-of-process template. */
  public boolean isRemote() {
    return remoteTemplate != null;
  }

  private static Variety compiledVariety(String template) {
    Variety v = Templates.variety(requireNonNull(template, "template"));
    if (v == null) {
      throw new IllegalArgumentException(
          "template: " + template + " (expected: one of " + Templates.names() + ")");
    }
    return v;
  }
}
