package dev.offpath.core.config;

import com.google.protobuf.ByteString;
import dev.offpath.core.testing.MixerReference;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Istio's out-of-process objects ({@code mixer-reference/oop/}) as test inputs. */
final class RemoteConfigs {

  private static final Pattern CONFIG =
      Pattern.compile("(?m)^\\s*(?:config|descriptor):\\s*\"?([A-Za-z0-9+/=]+)\"?\\s*$");

  private RemoteConfigs() {}

  /** The decoded {@code config:} (or {@code descriptor:}) of an adapter (template) YAML file. */
  static ByteString adapterConfig(Path file) throws IOException {
    Matcher m = CONFIG.matcher(Files.readString(file));
    if (!m.find()) {
      throw new IllegalArgumentException("no config in " + file);
    }
    return ByteString.copyFrom(Base64.getDecoder().decode(m.group(1)));
  }

  /** The reference files' texts, as {@link ConfigText}s named by their relative path. */
  static List<ConfigText> texts(List<String> files) {
    List<ConfigText> out = new ArrayList<>();
    for (String f : files) {
      try {
        out.add(new ConfigText(f, Files.readString(MixerReference.file(f))));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }
}
