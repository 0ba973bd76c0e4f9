package dev.offpath.core.attribute;

import java.util.Map;

/** The built-in attribute vocabulary (Istio 1.0 plus the 1.1 additions). */
public final class Vocabulary {

  private Vocabulary() {}

  private static final AttributeManifest BUILTIN =
      AttributeManifest.of(
          Map.of(
              "source.ip", ValueType.IP_ADDRESS,
              "request.headers", ValueType.STRING_MAP,
              "request.path", ValueType.STRING,
              "destination.service.host", ValueType.STRING));

  /** The built-in manifest. */
  public static AttributeManifest builtin() {
    return BUILTIN;
  }
}
