package dev.offpath.remote;

import com.google.protobuf.ByteString;
import dev.offpath.core.remote.RemoteTemplate;
import dev.offpath.core.remote.RemoteTemplates;
import dev.offpath.core.testing.MixerReference;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Base64;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Istio's standard templates, from the Mixer reference's {@code oop/template-<name>.yaml}. */
final class Templates {

  private static final Pattern DESCRIPTOR =
      Pattern.compile("(?m)^\\s*descriptor:\\s*\"?([A-Za-z0-9+/=]+)\"?\\s*$");
  private static final ConcurrentHashMap<String, RemoteTemplate> CACHE = new ConcurrentHashMap<>();

  private Templates() {}

  static RemoteTemplate istio(String name) {
    return CACHE.computeIfAbsent(name, Templates::load);
  }

  private static RemoteTemplate load(String name) {
    try {
      String yaml = Files.readString(MixerReference.file("oop/template-" + name + ".yaml"));
      Matcher m = DESCRIPTOR.matcher(yaml);
      if (!m.find()) {
        throw new IllegalStateException("no descriptor in template-" + name + ".yaml");
      }
      return RemoteTemplates.parse(
          name, ByteString.copyFrom(Base64.getDecoder().decode(m.group(1))));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
