package dev.offpath.remote;

import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * gRPC's marshaller for messages already encoded ({@link RequestEncoder}) or decoded later from a
 * descriptor: the bytes pass through untouched. Outgoing streams are {@link KnownLength} and
 * {@link Drainable}, so gRPC frames them without another copy.
 */
final class BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {

  static final BytesMarshaller INSTANCE = new BytesMarshaller();

  private BytesMarshaller() {}

  /** The unary method {@code fullMethodName} ({@code package.Service/Method}) on raw bytes. */
  static MethodDescriptor<byte[], byte[]> method(String fullMethodName) {
    return MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(fullMethodName)
        .setRequestMarshaller(INSTANCE)
        .setResponseMarshaller(INSTANCE)
        .build();
  }

  @Override
  public InputStream stream(byte[] value) {
    return new Stream(value);
  }

  @Override
  public byte[] parse(InputStream stream) {
    try {
      return stream.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final class Stream extends ByteArrayInputStream implements KnownLength, Drainable {
    Stream(byte[] bytes) {
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
