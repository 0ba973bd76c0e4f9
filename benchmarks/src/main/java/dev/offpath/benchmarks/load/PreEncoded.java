package dev.offpath.benchmarks.load;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.MessageLite;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * Requests encoded once, sent many times: the load clients cycle through prebuilt protos, and
 * serializing one for every send (string maps, UTF-8) costs client CPU that the server under test
 * would otherwise have, on a machine they share. A pre-encoded method is the generated one (same
 * full name, same response marshaller, so responses still parse into protos) whose request
 * marshaller writes the stored bytes: a {@link KnownLength} stream, so gRPC frames it without
 * measuring, and {@link Drainable}, so the bytes go into the transport buffer in one copy.
 */
final class PreEncoded {

  private PreEncoded() {}

  /** {@code method} taking its requests already encoded. */
  static <Q, R> MethodDescriptor<byte[], R> method(MethodDescriptor<Q, R> method) {
    requireNonNull(method, "method");
    return method.toBuilder(BYTES, method.getResponseMarshaller()).build();
  }

  /** The wire form of each message, in order. */
  static byte[][] encode(List<? extends MessageLite> messages) {
    byte[][] out = new byte[messages.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = messages.get(i).toByteArray();
    }
    return out;
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new Encoded(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new IllegalStateException("reading a message", e);
          }
        }
      };

  /** The stored bytes of one send; {@link #available} is their length, as KnownLength asks. */
  private static final class Encoded extends ByteArrayInputStream implements KnownLength, Drainable {
    Encoded(byte[] bytes) {
      super(bytes);
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int n = count - pos;
      target.write(buf, pos, n);
      pos = count;
      return n;
    }
  }
}
