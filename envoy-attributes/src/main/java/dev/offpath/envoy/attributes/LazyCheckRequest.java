package dev.offpath.envoy.attributes;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.AttributeValues;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.ValueType;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A {@code CheckRequest} kept as its bytes, with a field decoded when an attribute first needs it:
 * ext_authz's alternative to parsing the request with protobuf-java and mapping it with {@link
 * RequestAttributes#of} (README "Performance", lazy decode). The attributes are exactly those of
 * {@code RequestAttributes.of(CheckRequest.parseFrom(bytes).getAttributes(), manifest, limits)}:
 * same names, same values, same {@link InvalidRequestException}s; bytes protobuf-java rejects are
 * rejected by {@link #parse} ({@code LazyCheckRequestFuzzTest} holds the two to that).
 *
 * <p>{@link #parse} checks every byte once ({@link CheckRequestIndex}) and records where the mapped
 * fields are; {@link #attributes} enforces {@link RequestLimits} and {@code request.time}'s range at
 * once (a cheap upper bound from the scan: header entries and their UTF-8 bytes; only a request over
 * it, or with a {@code header_map}, has its headers decoded now, by {@code RequestAttributes}' own
 * code) and converts the context extensions the manifest declares (few, and they may replace any
 * attribute); everything else is decoded on first read.
 *
 * <p>The byte array is the caller's and must not change afterwards. Immutable once parsed;
 * thread-safe.
 */
public final class LazyCheckRequest {

  private final byte[] buf;
  private final int off;
  private final int len;
  final CheckRequestIndex index;

  private LazyCheckRequest(byte[] buf, int off, int len, CheckRequestIndex index) {
    this.buf = buf;
    this.off = off;
    this.len = len;
    this.index = index;
  }

  /**
   * Scans {@code bytes}, a serialized {@code CheckRequest}, keeping a reference to the array.
   *
   * @throws InvalidProtocolBufferException when protobuf-java would not parse {@code bytes}
   */
  public static LazyCheckRequest parse(byte[] bytes) throws InvalidProtocolBufferException {
    requireNonNull(bytes, "bytes");
    return new LazyCheckRequest(bytes, 0, bytes.length, CheckRequestIndex.scan(bytes, 0, bytes.length));
  }

  /** The serialized size. */
  public int serializedSize() {
    return len;
  }

  /** The serialized bytes, as read (for a marshaller that writes the request out again). */
  public java.io.InputStream newInput() {
    return new java.io.ByteArrayInputStream(buf, off, len);
  }

  /** {@code request.http.id}, for logs ("" when absent). */
  public String requestId() {
    return string(CheckRequestIndex.S_ID);
  }

  /** The request parsed by protobuf-java, for the rare caller that needs the message itself. */
  public CheckRequest toProto() {
    try {
      return CheckRequest.parseFrom(java.nio.ByteBuffer.wrap(buf, off, len));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("scanned bytes no longer parse", e);
    }
  }

  /**
   * The attribute bag, as {@link RequestAttributes#of} builds it from the parsed request.
   *
   * @throws InvalidRequestException when the request exceeds {@code limits} or its time is out of
   *     range (the same cases and messages as {@code RequestAttributes.of})
   */
  public Attributes attributes(AttributeManifest manifest, RequestLimits limits)
      throws InvalidRequestException {
    requireNonNull(manifest, "manifest");
    requireNonNull(limits, "limits");
    CheckRequestIndex x = index;
    if (x.hasTime) {
      RequestAttributes.toInstant(
          Timestamp.newBuilder().setSeconds(x.seconds).setNanos(x.nanos).build());
    }
    StringMap headers = null;
    if (x.headerMapCount > 0
        || x.headerCount > limits.maxHeaders()
        || x.headerBytes > limits.maxHeaderBytes()) {
      headers = RequestAttributes.headers(http(), limits);
    } else if (x.headerCount == 0) {
      headers = StringMap.empty();
    } else if (!x.headerNamesLowerAscii) {
      headers = StringMap.of(lowerCased(plainHeaders()));
    }
    return new LazyRequestBag(this, headers, contextExtensions(manifest));
  }

  // ---- decoding, used by LazyRequestBag and LazyHeaders ----

  String string(int field) {
    int[] s = index.str;
    int n = s[2 * field + 1];
    return n == 0 ? "" : new String(buf, s[2 * field], n, StandardCharsets.UTF_8);
  }

  int length(int field) {
    return index.str[2 * field + 1];
  }

  String decode(int offset, int length) {
    return length == 0 ? "" : new String(buf, offset, length, StandardCharsets.UTF_8);
  }

  /** Whether the bytes at {@code offset} are the ASCII {@code key} (header names are ASCII here). */
  boolean asciiEquals(int offset, int length, String key) {
    if (key.length() != length) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      if (buf[offset + i] != key.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Map {@code map}'s entries as protobuf-java builds the map: first position, last value. */
  Map<String, String> map(int map) {
    CheckRequestIndex x = index;
    int[] e = x.entries;
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0, n = x.entryCount * 5; i < n; i += 5) {
      if (e[i] == map) {
        out.put(decode(e[i + 1], e[i + 2]), decode(e[i + 3], e[i + 4]));
      }
    }
    return out;
  }

  boolean hasEntries(int map) {
    CheckRequestIndex x = index;
    int[] e = x.entries;
    for (int i = 0, n = x.entryCount * 5; i < n; i += 5) {
      if (e[i] == map) {
        return true;
      }
    }
    return false;
  }

  Map<String, String> plainHeaders() {
    return map(CheckRequestIndex.HEADERS);
  }

  /** {@code RequestAttributes}' lower-cased copy of headers without a header_map, within limits. */
  private static Map<String, String> lowerCased(Map<String, String> plain) {
    Map<String, String> out = new java.util.HashMap<>(plain.size() * 2);
    for (Map.Entry<String, String> e : plain.entrySet()) {
      out.put(e.getKey().toLowerCase(java.util.Locale.ROOT), e.getValue());
    }
    return out;
  }

  /** Every occurrence of {@code request.http}, merged by protobuf-java (the rare paths). */
  private AttributeContext.HttpRequest http() {
    AttributeContext.HttpRequest.Builder b = AttributeContext.HttpRequest.newBuilder();
    mergeSegments(CheckRequestIndex.SEG_HTTP, b);
    return b.build();
  }

  /** Every occurrence of {@code metadata_context}, merged by protobuf-java. */
  Metadata metadata() {
    Metadata.Builder b = Metadata.newBuilder();
    mergeSegments(CheckRequestIndex.SEG_METADATA, b);
    return b.build();
  }

  private void mergeSegments(int kind, com.google.protobuf.Message.Builder b) {
    CheckRequestIndex x = index;
    int[] s = x.segments;
    try {
      for (int i = 0, n = x.segmentCount * 3; i < n; i += 3) {
        if (s[i] == kind) {
          b.mergeFrom(buf, s[i + 1], s[i + 2]);
        }
      }
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("scanned bytes no longer parse", e);
    }
  }

  /** Whether a later entry of entry {@code i}'s map has the same key bytes. */
  private boolean repeatedLater(int i) {
    CheckRequestIndex x = index;
    int[] e = x.entries;
    for (int j = i + 5, n = x.entryCount * 5; j < n; j += 5) {
      if (e[j] == e[i] && e[j + 2] == e[i + 2] && java.util.Arrays.equals(
          buf, e[j + 1], e[j + 1] + e[j + 2], buf, e[i + 1], e[i + 1] + e[i + 2])) {
        return true;
      }
    }
    return false;
  }

  /**
   * The context extensions the manifest declares, converted to their types (as {@code
   * RequestAttributes}: the last value of a repeated key, a value that does not convert ignored);
   * null when there are none.
   */
  private @Nullable Map<String, Object> contextExtensions(AttributeManifest manifest) {
    if (!hasEntries(CheckRequestIndex.CONTEXT_EXTENSIONS)) {
      return null;
    }
    Map<String, Object> out = null;
    CheckRequestIndex x = index;
    int[] e = x.entries;
    int n = x.entryCount * 5;
    for (int i = 0; i < n; i += 5) {
      if (e[i] != CheckRequestIndex.CONTEXT_EXTENSIONS || repeatedLater(i)) {
        continue; // protobuf's map keeps a repeated key's last value
      }
      String key = decode(e[i + 1], e[i + 2]);
      ValueType type = manifest.typeOf(key);
      if (type == null) {
        continue;
      }
      try {
        Object value = AttributeValues.fromString(decode(e[i + 3], e[i + 4]), type);
        if (out == null) {
          out = new LinkedHashMap<>(4);
        }
        out.put(key, value);
      } catch (IllegalArgumentException ex) {
        // A context extension of the wrong shape is ignored, like any unparseable attribute.
      }
    }
    return out;
  }
}
