package dev.offpath.envoy.attributes;

import com.google.protobuf.InvalidProtocolBufferException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A cursor over protobuf wire bytes that accepts exactly what protobuf-java 3.25's parser accepts
 * (CodedInputStream and the generated parsers), without building anything:
 *
 * <ul>
 *   <li>varints of at most 10 bytes; a tag or a length keeps the low 32 bits of its varint (as
 *       {@code readRawVarint32}); field number 0, wire types 6 and 7, a negative length, or bytes
 *       past the enclosing message's end are errors;
 *   <li>an END_GROUP tag outside a group is an error (the parser stops there and then finds the
 *       message did not end with tag 0); an unknown group must close with its own field number;
 *   <li>proto3 strings must be well-formed UTF-8 (protobuf's {@code Utf8}: no overlongs, no
 *       surrogates, nothing above U+10FFFF); messages are checked recursively with {@link
 *       WireSchema}'s tables;
 *   <li>nesting: a message, map entry or group whose enclosing message's fields are read at depth
 *       {@code d} needs {@code d < 100} (protobuf's default recursion limit), and its own fields are
 *       read at {@code d + 1}; the top-level message's fields are read at depth 0. (Groups skipped
 *       inside map entries go through {@code skipMessage}, whose checks come to the same bound.)
 * </ul>
 *
 * <p>Not thread-safe: one reader per scan.
 */
class WireReader {

  static final int RECURSION_LIMIT = 100;

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  final WireSchema schema;
  final byte[] buf;
  int pos;

  WireReader(WireSchema schema, byte[] buf, int pos) {
    this.schema = schema;
    this.buf = buf;
    this.pos = pos;
  }

  static InvalidProtocolBufferException malformed(String message) {
    return new InvalidProtocolBufferException(message);
  }

  /** The next tag, or 0 at {@code end}. */
  final int readTag(int end) throws InvalidProtocolBufferException {
    if (pos == end) {
      return 0;
    }
    int tag = readVarint32(end);
    if (tag >>> 3 == 0) {
      throw malformed("Protocol message contained an invalid tag (zero).");
    }
    return tag;
  }

  final int readVarint32(int end) throws InvalidProtocolBufferException {
    int p = pos;
    if (p < end) {
      byte b = buf[p];
      if (b >= 0) {
        pos = p + 1;
        return b;
      }
    }
    return (int) readVarint64(end);
  }

  /**
   * A varint as protobuf-java's array decoder reads it ({@code parseFrom(byte[])}, and grpc-java for
   * a message it has in one buffer): a 10-byte varint has bit 63 set whatever its 10th byte holds
   * (the decoder's fast path keeps the 9th byte's sign extension; its stream decoder differs).
   */
  final long readVarint64(int end) throws InvalidProtocolBufferException {
    long result = 0;
    int p = pos;
    for (int shift = 0; shift < 63; shift += 7) {
      if (p >= end) {
        throw truncated();
      }
      byte b = buf[p++];
      result |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        pos = p;
        return result;
      }
    }
    if (p >= end) {
      throw truncated();
    }
    if (buf[p++] < 0) {
      throw malformed("CodedInputStream encountered a malformed varint.");
    }
    pos = p;
    return result | Long.MIN_VALUE;
  }

  /** A length prefix: its value, checked to fit before {@code end}. */
  final int readLength(int end) throws InvalidProtocolBufferException {
    int n = readVarint32(end);
    if (n < 0) {
      throw malformed("CodedInputStream encountered an embedded string or message which claimed to have negative size.");
    }
    if (n > end - pos) {
      throw truncated();
    }
    return n;
  }

  static InvalidProtocolBufferException truncated() {
    return malformed(
        "While parsing a protocol message, the input ended unexpectedly in the middle of a field.");
  }

  final void skip(int n, int end) throws InvalidProtocolBufferException {
    if (n > end - pos) {
      throw truncated();
    }
    pos += n;
  }

  /** A string field's bytes, checked to be UTF-8; returns its length, the cursor on its first byte. */
  final int readStringLength(int end) throws InvalidProtocolBufferException {
    int n = readLength(end);
    if (!isUtf8(buf, pos, n)) {
      throw malformed("Protocol message had invalid UTF-8.");
    }
    return n;
  }

  /** Checks that the reader's depth allows one more level of nesting. */
  static void nest(int depth) throws InvalidProtocolBufferException {
    if (depth >= RECURSION_LIMIT) {
      throw malformed("Protocol message had too many levels of nesting.");
    }
  }

  /** Validates the fields of a message of {@code type} up to {@code end}, read at {@code depth}. */
  final void message(int type, int end, int depth) throws InvalidProtocolBufferException {
    for (int tag = readTag(end); tag != 0; tag = readTag(end)) {
      field(type, tag, end, depth);
    }
  }

  /**
   * Validates the field whose tag was just read, in a message of {@code type} (-1 inside an unknown
   * group) whose fields are read at {@code depth}.
   */
  final void field(int type, int tag, int end, int depth) throws InvalidProtocolBufferException {
    switch (tag & 7) {
      case 0 -> readVarint64(end);
      case 1 -> skip(8, end);
      case 5 -> skip(4, end);
      case 2 -> {
        int n = readLength(end);
        int kind = schema.lenKind(type, tag >>> 3);
        if (kind == WireSchema.STRING) {
          if (!isUtf8(buf, pos, n)) {
            throw malformed("Protocol message had invalid UTF-8.");
          }
          pos += n;
        } else if (kind > 0) {
          nest(depth);
          message(kind - 1, pos + n, depth + 1);
        } else {
          pos += n;
        }
      }
      case 3 -> {
        nest(depth);
        group(tag >>> 3, end, depth + 1);
      }
      case 4 -> throw malformed("Protocol message end-group tag did not match expected tag.");
      default -> throw malformed("Protocol message tag had invalid wire type.");
    }
  }

  private void group(int number, int end, int depth) throws InvalidProtocolBufferException {
    int endTag = number << 3 | 4;
    while (true) {
      int tag = readTag(end);
      if ((tag & 7) == 4 || tag == 0) {
        if (tag != endTag) {
          throw malformed("Protocol message end-group tag did not match expected tag.");
        }
        return;
      }
      field(-1, tag, end, depth);
    }
  }

  /** Whether {@code buf[off, off + len)} is well-formed UTF-8 (protobuf's {@code Utf8} rules). */
  static boolean isUtf8(byte[] buf, int off, int len) {
    int i = off;
    int end = off + len;
    while (end - i >= 8 && ((long) LONGS.get(buf, i) & 0x8080808080808080L) == 0) {
      i += 8;
    }
    while (i < end) {
      int b = buf[i];
      if (b >= 0) {
        i++;
        continue;
      }
      if (b < (byte) 0xC2) {
        return false; // a continuation byte or an overlong 2-byte lead
      }
      if (b < (byte) 0xE0) {
        if (end - i < 2 || buf[i + 1] > (byte) 0xBF) {
          return false;
        }
        i += 2;
      } else if (b < (byte) 0xF0) {
        if (end - i < 3) {
          return false;
        }
        int b2 = buf[i + 1];
        if (b2 > (byte) 0xBF
            || (b == (byte) 0xE0 && b2 < (byte) 0xA0)
            || (b == (byte) 0xED && b2 >= (byte) 0xA0)
            || buf[i + 2] > (byte) 0xBF) {
          return false;
        }
        i += 3;
      } else {
        if (end - i < 4) {
          return false;
        }
        int b2 = buf[i + 1];
        // (b << 28) + (b2 + 0x70) >> 30 != 0 in protobuf: lead F0 needs b2 >= 0x90, F4 b2 < 0x90.
        if (b2 > (byte) 0xBF
            || b > (byte) 0xF4
            || (b == (byte) 0xF0 && b2 < (byte) 0x90)
            || (b == (byte) 0xF4 && b2 >= (byte) 0x90)
            || buf[i + 2] > (byte) 0xBF
            || buf[i + 3] > (byte) 0xBF) {
          return false;
        }
        i += 4;
      }
    }
    return true;
  }
}
