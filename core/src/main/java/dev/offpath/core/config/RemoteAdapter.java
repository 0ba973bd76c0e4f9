package dev.offpath.core.config;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Descriptors.Descriptor;
import dev.offpath.core.remote.RemoteTemplate;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A compiled {@code kind: adapter} object (README "Out-of-process adapters"): the templates its
 * handlers serve, whether it is session based (its handlers' params are then never sent) and the
 * {@code Params} message that types its handlers' params (null: the adapter takes none).
 */
record RemoteAdapter(
    String name, boolean sessionBased, List<RemoteTemplate> templates, @Nullable Descriptor params) {

  RemoteAdapter {
    requireNonNull(name, "name");
    templates = List.copyOf(templates);
  }
}
