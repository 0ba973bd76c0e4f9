package dev.offpath.core.attribute;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * An IP_ADDRESS value: 4 or 16 address bytes. Equality is by address, so an IPv4 address equals its
 * IPv4-mapped IPv6 form ({@code ::ffff:1.2.3.4}), as Go's {@code net.IP.Equal} had it in Mixer.
 */
public final class IpAddress {

  private final byte[] bytes;

  private IpAddress(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Wraps raw address bytes (4 or 16 of them). */
  public static IpAddress ofBytes(byte[] bytes) {
    requireNonNull(bytes, "bytes");
    if (bytes.length != 4 && bytes.length != 16) {
      throw new IllegalArgumentException("IP address bytes: " + bytes.length + " (expected: 4 or 16)");
    }
    return new IpAddress(bytes.clone());
  }

  /**
   * Parses a literal IPv4 or IPv6 address; never resolves a host name.
   *
   * @throws IllegalArgumentException when {@code text} is not an IP literal
   */
  public static IpAddress parse(String text) {
    requireNonNull(text, "text");
    // The common case on the request path, without the general parser's split and lookup.
    byte[] v4 = dottedQuad(text);
    if (v4 != null) {
      return new IpAddress(v4);
    }
    if (!isLiteral(text)) {
      throw new IllegalArgumentException("could not convert '" + text + "' to IP_ADDRESS");
    }
    try {
      return new IpAddress(InetAddress.getByName(text).getAddress());
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("could not convert '" + text + "' to IP_ADDRESS", e);
    }
  }

  /** The bytes of {@code s} when it is four decimal octets without leading zeros, else null. */
  static byte @Nullable [] dottedQuad(String s) {
    int n = s.length();
    if (n < 7 || n > 15) {
      return null;
    }
    byte[] out = new byte[4];
    int part = 0;
    int value = 0;
    int digits = 0;
    for (int i = 0; i <= n; i++) {
      char c = i < n ? s.charAt(i) : '.';
      if (c == '.') {
        if (digits == 0 || part == 4) {
          return null;
        }
        out[part++] = (byte) value;
        value = 0;
        digits = 0;
      } else if (c >= '0' && c <= '9') {
        if (digits > 0 && value == 0) {
          return null; // a leading zero: left to the general parser
        }
        value = value * 10 + (c - '0');
        if (++digits > 3 || value > 255) {
          return null;
        }
      } else {
        return null;
      }
    }
    return part == 4 ? out : null;
  }

  private static boolean isLiteral(String s) {
    if (s.isEmpty()) {
      return false;
    }
    if (s.indexOf(':') >= 0) {
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (!(c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
          return false;
        }
      }
      return true;
    }
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3) {
        return false;
      }
      for (int i = 0; i < p.length(); i++) {
        if (!Character.isDigit(p.charAt(i))) {
          return false;
        }
      }
      if (Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  /** A copy of the address bytes as given (4 or 16). */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** The address as 16 bytes, IPv4 addresses in their IPv4-mapped form. */
  public byte[] toIpv6Bytes() {
    if (bytes.length == 16) {
      return bytes.clone();
    }
    byte[] out = new byte[16];
    out[10] = (byte) 0xff;
    out[11] = (byte) 0xff;
    System.arraycopy(bytes, 0, out, 12, 4);
    return out;
  }

  /** True for an IPv4 address or an IPv4-mapped IPv6 address. */
  public boolean isIpv4() {
    if (bytes.length == 4) {
      return true;
    }
    for (int i = 0; i < 10; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
  }

  /**
   * Whether {@code other} has the same bytes in the same form: unlike {@link #equals}, an IPv4
   * address is not identical to its IPv4-mapped form. Allocation-free.
   */
  public boolean identical(IpAddress other) {
    return Arrays.equals(bytes, other.bytes);
  }

  /** Byte {@code i} (0..15) of the IPv4-mapped IPv6 form, without building it. */
  private int mappedByte(int i) {
    if (bytes.length == 16) {
      return bytes[i];
    }
    if (i < 10) {
      return 0;
    }
    return i < 12 ? (byte) 0xff : bytes[i - 12];
  }

  // equals and hashCode run on the check path (cache keys and lookups): no allocation.
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof IpAddress other)) {
      return false;
    }
    for (int i = 0; i < 16; i++) {
      if (mappedByte(i) != other.mappedByte(i)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = 1;
    for (int i = 0; i < 16; i++) {
      h = 31 * h + mappedByte(i);
    }
    return h;
  }

  /** Dotted form for IPv4 (and IPv4-mapped) addresses, RFC 5952 text for IPv6. */
  @Override
  public String toString() {
    byte[] b = toIpv6Bytes();
    if (isIpv4()) {
      return (b[12] & 0xff) + "." + (b[13] & 0xff) + "." + (b[14] & 0xff) + "." + (b[15] & 0xff);
    }
    try {
      return InetAddress.getByAddress(b).getHostAddress();
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
