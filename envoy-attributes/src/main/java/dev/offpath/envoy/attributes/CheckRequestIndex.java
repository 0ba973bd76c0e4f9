package dev.offpath.envoy.attributes;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor.Type;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.util.Arrays;

/**
 * One validating pass over a serialized {@code CheckRequest} that records where the fields the
 * attribute mapping reads are, without decoding any of them (README "Performance", lazy decode).
 *
 * <p>What: the whole message is checked as protobuf-java would parse it ({@link WireReader}: every
 * byte, every nested message, every string's UTF-8), so a request protobuf-java rejects is rejected
 * here, and one it accepts is accepted. The fields the mapping reads are recorded by their last
 * occurrence in wire order, which is protobuf's merge rule: a message field that occurs twice is one
 * message built from both occurrences in order, so its last scalar wins, its maps and repeated
 * fields accumulate, and a oneof takes the last member seen (protobuf-java 3.25 keeps merging into
 * a message member's builder even after another member intervened, and so does this index: the
 * socket address is read from every {@code socket_address} occurrence). Map entries are kept in
 * wire order (5 ints each: map, key offset and length, value offset and length; an absent key or
 * value is empty), so a reader rebuilds protobuf's map (first position, last value).
 *
 * <p>Recorded: both peers (address case, socket address, port case and value, principal,
 * certificate length, labels), {@code request.time}, the HTTP request's id/method/path/host/scheme/
 * size and headers (their count, byte total and whether every name is lower-case ASCII), how many
 * {@code header_map} entries there are, the TLS SNI, context extensions, and the byte ranges of every
 * {@code metadata_context} and {@code http} occurrence (decoded with protobuf-java when a rare
 * attribute needs them). Strings are offsets into the caller's array, which must not change.
 *
 * <p>Not thread-safe while scanning; immutable once {@link #scan} returns.
 */
final class CheckRequestIndex extends WireReader {

  static final WireSchema SCHEMA = new WireSchema(CheckRequest.getDescriptor());

  private static final int T_CHECK = SCHEMA.type(CheckRequest.getDescriptor());
  private static final int T_CONTEXT = SCHEMA.type(AttributeContext.getDescriptor());
  private static final int T_PEER = SCHEMA.type(AttributeContext.Peer.getDescriptor());
  private static final int T_ADDRESS = SCHEMA.type(Address.getDescriptor());
  private static final int T_SOCKET = SCHEMA.type(SocketAddress.getDescriptor());
  private static final int T_REQUEST = SCHEMA.type(AttributeContext.Request.getDescriptor());
  private static final int T_TIME = SCHEMA.type(Timestamp.getDescriptor());
  private static final int T_HTTP = SCHEMA.type(AttributeContext.HttpRequest.getDescriptor());
  private static final int T_TLS = SCHEMA.type(AttributeContext.TLSSession.getDescriptor());
  private static final int T_HEADER_MAP = SCHEMA.type(HeaderMap.getDescriptor());
  private static final int T_METADATA = SCHEMA.type(Metadata.getDescriptor());
  private static final int T_ENTRY = SCHEMA.type(AttributeContext.HttpRequest.getDescriptor()
      .findFieldByName("headers").getMessageType());

  static {
    // The field numbers decoded below, checked against the descriptors once.
    WireSchema.expect(CheckRequest.getDescriptor(), 1, "attributes", Type.MESSAGE);
    Descriptor ctx = AttributeContext.getDescriptor();
    WireSchema.expect(ctx, 1, "source", Type.MESSAGE);
    WireSchema.expect(ctx, 2, "destination", Type.MESSAGE);
    WireSchema.expect(ctx, 4, "request", Type.MESSAGE);
    WireSchema.expect(ctx, 10, "context_extensions", Type.MESSAGE);
    WireSchema.expect(ctx, 11, "metadata_context", Type.MESSAGE);
    WireSchema.expect(ctx, 12, "tls_session", Type.MESSAGE);
    Descriptor peer = AttributeContext.Peer.getDescriptor();
    WireSchema.expect(peer, 1, "address", Type.MESSAGE);
    WireSchema.expect(peer, 3, "labels", Type.MESSAGE);
    WireSchema.expect(peer, 4, "principal", Type.STRING);
    WireSchema.expect(peer, 5, "certificate", Type.STRING);
    WireSchema.expect(Address.getDescriptor(), 1, "socket_address", Type.MESSAGE);
    WireSchema.expect(Address.getDescriptor(), 2, "pipe", Type.MESSAGE);
    WireSchema.expect(Address.getDescriptor(), 3, "envoy_internal_address", Type.MESSAGE);
    WireSchema.expect(SocketAddress.getDescriptor(), 2, "address", Type.STRING);
    WireSchema.expect(SocketAddress.getDescriptor(), 3, "port_value", Type.UINT32);
    WireSchema.expect(SocketAddress.getDescriptor(), 4, "named_port", Type.STRING);
    WireSchema.expect(AttributeContext.Request.getDescriptor(), 1, "time", Type.MESSAGE);
    WireSchema.expect(AttributeContext.Request.getDescriptor(), 2, "http", Type.MESSAGE);
    WireSchema.expect(Timestamp.getDescriptor(), 1, "seconds", Type.INT64);
    WireSchema.expect(Timestamp.getDescriptor(), 2, "nanos", Type.INT32);
    Descriptor http = AttributeContext.HttpRequest.getDescriptor();
    WireSchema.expect(http, 1, "id", Type.STRING);
    WireSchema.expect(http, 2, "method", Type.STRING);
    WireSchema.expect(http, 3, "headers", Type.MESSAGE);
    WireSchema.expect(http, 4, "path", Type.STRING);
    WireSchema.expect(http, 5, "host", Type.STRING);
    WireSchema.expect(http, 6, "scheme", Type.STRING);
    WireSchema.expect(http, 9, "size", Type.INT64);
    WireSchema.expect(http, 13, "header_map", Type.MESSAGE);
    WireSchema.expect(HeaderMap.getDescriptor(), 1, "headers", Type.MESSAGE);
    WireSchema.expect(AttributeContext.TLSSession.getDescriptor(), 1, "sni", Type.STRING);
    for (Descriptor entry :
        new Descriptor[] {
          http.findFieldByNumber(3).getMessageType(),
          peer.findFieldByNumber(3).getMessageType(),
          ctx.findFieldByNumber(10).getMessageType()
        }) {
      WireSchema.expect(entry, 1, "key", Type.STRING);
      WireSchema.expect(entry, 2, "value", Type.STRING);
    }
  }

  /** Map ids of {@link #entries}. */
  static final int HEADERS = 0;

  static final int SOURCE_LABELS = 1;
  static final int DESTINATION_LABELS = 2;
  static final int CONTEXT_EXTENSIONS = 3;

  /** Segment kinds of {@link #segments}. */
  static final int SEG_HTTP = 0;

  static final int SEG_METADATA = 1;

  /** String fields: {@code str[2 * field]} offset, {@code str[2 * field + 1]} length (0: empty). */
  static final int S_SOURCE_ADDRESS = 0;

  static final int S_SOURCE_PRINCIPAL = 1;
  static final int S_SOURCE_CERTIFICATE = 2;
  static final int S_DESTINATION_ADDRESS = 3;
  static final int S_DESTINATION_PRINCIPAL = 4;
  static final int S_DESTINATION_CERTIFICATE = 5;
  static final int S_ID = 6;
  static final int S_METHOD = 7;
  static final int S_PATH = 8;
  static final int S_HOST = 9;
  static final int S_SCHEME = 10;
  static final int S_SNI = 11;
  private static final int STRINGS = 12;

  /** Peer offsets: source 0, destination 3 (address, principal, certificate). */
  static final int PEER_STRIDE = 3;

  final int[] str = new int[2 * STRINGS];

  /** Address oneof case per peer (0 none, 1 socket, 2 pipe, 3 internal). */
  final int[] addressCase = new int[2];

  /** Port oneof case per peer (0 none, 3 port_value, 4 named_port) and the last port_value. */
  final int[] portCase = new int[2];

  final int[] portValue = new int[2];

  boolean hasTime;
  long seconds;
  int nanos;
  long size;

  /** Plain header entries, the UTF-8 bytes of their names and values, all names lower-case ASCII. */
  int headerCount;

  long headerBytes;
  boolean headerNamesLowerAscii = true;
  int headerMapCount;

  boolean hasMetadata;
  int[] entries = new int[80];
  int entryCount;
  int[] segments = new int[0];
  int segmentCount;

  private CheckRequestIndex(byte[] buf, int off) {
    super(SCHEMA, buf, off);
  }

  /**
   * Scans {@code buf[off, off + len)}.
   *
   * @throws InvalidProtocolBufferException when protobuf-java would reject the bytes
   */
  static CheckRequestIndex scan(byte[] buf, int off, int len) throws InvalidProtocolBufferException {
    CheckRequestIndex index = new CheckRequestIndex(buf, off);
    int end = off + len;
    for (int tag = index.readTag(end); tag != 0; tag = index.readTag(end)) {
      if (tag == (1 << 3 | 2)) {
        int sub = index.subMessage(end, 0);
        index.attributeContext(sub, 1);
      } else {
        index.field(T_CHECK, tag, end, 0);
      }
    }
    return index;
  }

  /** Reads a message field's length and checks nesting; returns the sub-message's end. */
  private int subMessage(int end, int depth) throws InvalidProtocolBufferException {
    int n = readLength(end);
    nest(depth);
    return pos + n;
  }

  private void string(int field, int end) throws InvalidProtocolBufferException {
    int n = readStringLength(end);
    str[2 * field] = pos;
    str[2 * field + 1] = n;
    pos += n;
  }

  private void attributeContext(int end, int d) throws InvalidProtocolBufferException {
    for (int tag = readTag(end); tag != 0; tag = readTag(end)) {
      switch (tag) {
        case 1 << 3 | 2 -> peer(0, subMessage(end, d), d + 1);
        case 2 << 3 | 2 -> peer(1, subMessage(end, d), d + 1);
        case 4 << 3 | 2 -> request(subMessage(end, d), d + 1);
        case 10 << 3 | 2 -> entry(CONTEXT_EXTENSIONS, subMessage(end, d), d + 1);
        case 11 << 3 | 2 -> {
          int sub = subMessage(end, d);
          segment(SEG_METADATA, pos, sub - pos);
          hasMetadata = true;
          message(T_METADATA, sub, d + 1);
        }
        case 12 << 3 | 2 -> {
          int sub = subMessage(end, d);
          for (int t = readTag(sub); t != 0; t = readTag(sub)) {
            if (t == (1 << 3 | 2)) {
              string(S_SNI, sub);
            } else {
              field(T_TLS, t, sub, d + 1);
            }
          }
        }
        default -> field(T_CONTEXT, tag, end, d);
      }
    }
  }

  private void peer(int p, int end, int d) throws InvalidProtocolBufferException {
    int s = p * PEER_STRIDE;
    for (int tag = readTag(end); tag != 0; tag = readTag(end)) {
      switch (tag) {
        case 1 << 3 | 2 -> address(p, subMessage(end, d), d + 1);
        case 3 << 3 | 2 ->
            entry(p == 0 ? SOURCE_LABELS : DESTINATION_LABELS, subMessage(end, d), d + 1);
        case 4 << 3 | 2 -> string(s + S_SOURCE_PRINCIPAL, end);
        case 5 << 3 | 2 -> string(s + S_SOURCE_CERTIFICATE, end);
        default -> field(T_PEER, tag, end, d);
      }
    }
  }

  private void address(int p, int end, int d) throws InvalidProtocolBufferException {
    for (int tag = readTag(end); tag != 0; tag = readTag(end)) {
      switch (tag) {
        case 1 << 3 | 2 -> {
          socketAddress(p, subMessage(end, d), d + 1);
          addressCase[p] = 1;
        }
        case 2 << 3 | 2, 3 << 3 | 2 -> {
          field(T_ADDRESS, tag, end, d);
          addressCase[p] = tag >>> 3;
        }
        default -> field(T_ADDRESS, tag, end, d);
      }
    }
  }

  private void socketAddress(int p, int end, int d) throws InvalidProtocolBufferException {
    for (int tag = readTag(end); tag != 0; tag = readTag(end)) {
      switch (tag) {
        case 2 << 3 | 2 -> string(p * PEER_STRIDE + S_SOURCE_ADDRESS, end);
        case 3 << 3 -> {
          portValue[p] = readVarint32(end);
          portCase[p] = 3;
        }
        case 4 << 3 | 2 -> {
          field(T_SOCKET, tag, end, d);
          portCase[p] = 4;
        }
        default -> field(T_SOCKET, tag, end, d);
      }
    }
  }

  private void request(int end, int d) throws InvalidProtocolBufferException {
    for (int tag = readTag(end); tag != 0; tag = readTag(end)) {
      switch (tag) {
        case 1 << 3 | 2 -> {
          int sub = subMessage(end, d);
          for (int t = readTag(sub); t != 0; t = readTag(sub)) {
            switch (t) {
              case 1 << 3 -> seconds = readVarint64(sub);
              case 2 << 3 -> nanos = readVarint32(sub);
              default -> field(T_TIME, t, sub, d + 1);
            }
          }
          hasTime = true;
        }
        case 2 << 3 | 2 -> {
          int sub = subMessage(end, d);
          segment(SEG_HTTP, pos, sub - pos);
          http(sub, d + 1);
        }
        default -> field(T_REQUEST, tag, end, d);
      }
    }
  }

  private void http(int end, int d) throws InvalidProtocolBufferException {
    for (int tag = readTag(end); tag != 0; tag = readTag(end)) {
      switch (tag) {
        case 1 << 3 | 2 -> string(S_ID, end);
        case 2 << 3 | 2 -> string(S_METHOD, end);
        case 3 << 3 | 2 -> {
          int e = entry(HEADERS, subMessage(end, d), d + 1);
          headerCount++;
          headerBytes += (long) entries[e + 2] + entries[e + 4];
          if (headerNamesLowerAscii) {
            headerNamesLowerAscii = isLowerCaseAscii(entries[e + 1], entries[e + 2]);
          }
        }
        case 4 << 3 | 2 -> string(S_PATH, end);
        case 5 << 3 | 2 -> string(S_HOST, end);
        case 6 << 3 | 2 -> string(S_SCHEME, end);
        case 9 << 3 -> size = readVarint64(end);
        case 13 << 3 | 2 -> {
          int sub = subMessage(end, d);
          for (int t = readTag(sub); t != 0; t = readTag(sub)) {
            if (t == (1 << 3 | 2)) {
              headerMapCount++;
            }
            field(T_HEADER_MAP, t, sub, d + 1);
          }
        }
        default -> field(T_HTTP, tag, end, d);
      }
    }
  }

  private boolean isLowerCaseAscii(int off, int len) {
    for (int i = off, n = off + len; i < n; i++) {
      byte b = buf[i];
      if (b < 0 || (b >= 'A' && b <= 'Z')) {
        return false;
      }
    }
    return true;
  }

  /** Records one map entry of {@code map}; returns its index in {@link #entries}. */
  private int entry(int map, int end, int d) throws InvalidProtocolBufferException {
    int e = entryCount * 5;
    if (e + 5 > entries.length) {
      entries = Arrays.copyOf(entries, entries.length * 2);
    }
    int[] en = entries;
    en[e] = map;
    en[e + 1] = 0;
    en[e + 2] = 0;
    en[e + 3] = 0;
    en[e + 4] = 0;
    for (int tag = readTag(end); tag != 0; tag = readTag(end)) {
      if (tag == (1 << 3 | 2)) {
        int n = readStringLength(end);
        en[e + 1] = pos;
        en[e + 2] = n;
        pos += n;
      } else if (tag == (2 << 3 | 2)) {
        int n = readStringLength(end);
        en[e + 3] = pos;
        en[e + 4] = n;
        pos += n;
      } else {
        field(T_ENTRY, tag, end, d);
      }
    }
    entryCount++;
    return e;
  }

  private void segment(int kind, int off, int len) {
    int s = segmentCount * 3;
    if (s + 3 > segments.length) {
      segments = Arrays.copyOf(segments, Math.max(6, segments.length * 2));
    }
    segments[s] = kind;
    segments[s + 1] = off;
    segments[s + 2] = len;
    segmentCount++;
  }
}
