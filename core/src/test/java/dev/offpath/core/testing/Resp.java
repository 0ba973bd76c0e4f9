package dev.offpath.core.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal RESP2 client for tests: one connection per {@link #call}, arguments sent as bulk
 * strings (so keys with braces or spaces are fine). Answers: a String (simple or bulk), a Long, a
 * List, or null; an error answer throws {@link RedisError}.
 */
public final class Resp {

  private Resp() {}

  /** An error answer ({@code -ERR …}, {@code -MOVED …}). */
  public static final class RedisError extends IOException {
    private static final long serialVersionUID = 1L;

    RedisError(String message) {
      super(message);
    }
  }

  /** Sends one command to {@code 127.0.0.1:port} and returns the answer. */
  public static Object call(int port, String... args) throws IOException {
    return call(port, null, args);
  }

  /** Sends one command, after {@code AUTH password} when a password is given. */
  public static Object call(int port, String password, String... args) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1_000);
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      InputStream in = new BufferedInputStream(socket.getInputStream());
      if (password != null) {
        out.write(encode("AUTH", password));
        out.flush();
        read(in);
      }
      out.write(encode(args));
      out.flush();
      return read(in);
    }
  }

  /** A bulk-string answer, or null. */
  public static String string(int port, String... args) throws IOException {
    Object o = call(port, args);
    return o == null ? null : o.toString();
  }

  private static byte[] encode(String... args) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.UTF_8));
    for (String a : args) {
      byte[] bytes = a.getBytes(StandardCharsets.UTF_8);
      b.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.UTF_8));
      b.writeBytes(bytes);
      b.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
    }
    return b.toByteArray();
  }

  private static Object read(InputStream in) throws IOException {
    int type = in.read();
    String line = line(in);
    switch (type) {
      case '+':
        return line;
      case '-':
        throw new RedisError(line);
      case ':':
        return Long.parseLong(line);
      case '$': {
        int n = Integer.parseInt(line);
        if (n < 0) {
          return null;
        }
        byte[] body = in.readNBytes(n);
        line(in);
        return new String(body, StandardCharsets.UTF_8);
      }
      case '*': {
        int n = Integer.parseInt(line);
        if (n < 0) {
          return null;
        }
        List<Object> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          try {
            list.add(read(in));
          } catch (RedisError e) {
            list.add(e);
          }
        }
        return list;
      }
      case -1:
        throw new IOException("connection closed");
      default:
        throw new IOException("unexpected answer type " + (char) type);
    }
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder s = new StringBuilder();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\r') {
        in.read();
        return s.toString();
      }
      s.append((char) c);
    }
    throw new IOException("connection closed after '" + s + "'");
  }
}
