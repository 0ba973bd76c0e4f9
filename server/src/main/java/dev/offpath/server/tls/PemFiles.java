package dev.offpath.server.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads PEM certificates and private keys with the JDK alone: keys as PKCS#8 ({@code PRIVATE
 * KEY}), PKCS#1 RSA ({@code RSA PRIVATE KEY}) or SEC1 EC ({@code EC PRIVATE KEY}, the curve named
 * in the key); the last two are wrapped into PKCS#8 here, so no BouncyCastle is needed. Encrypted
 * keys are refused with a message saying so. Every error names the file; no key bytes ever appear
 * in a message.
 */
final class PemFiles {

  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

  /** AlgorithmIdentifier { rsaEncryption, NULL }. */
  private static final byte[] RSA_ALGORITHM = {
    0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01,
    0x01, 0x05, 0x00
  };

  /** OID id-ecPublicKey (1.2.840.10045.2.1), encoded. */
  private static final byte[] EC_PUBLIC_KEY_OID = {
    0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01
  };

  private PemFiles() {}

  static List<X509Certificate> certificates(Path file) throws TlsMaterialException {
    List<byte[]> ders = blocks(file, "CERTIFICATE");
    if (ders.isEmpty()) {
      throw new TlsMaterialException(file + ": no PEM CERTIFICATE block");
    }
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      List<X509Certificate> certs = new ArrayList<>(ders.size());
      for (byte[] der : ders) {
        certs.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
      }
      return List.copyOf(certs);
    } catch (CertificateException e) {
      throw new TlsMaterialException(file + ": not a valid X.509 certificate", e);
    }
  }

  static PrivateKey privateKey(Path file) throws TlsMaterialException {
    String text = read(file);
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      String label = m.group(1);
      if (!label.endsWith("PRIVATE KEY")) {
        continue;
      }
      byte[] der = decode(file, m.group(2));
      return switch (label) {
        case "PRIVATE KEY" -> pkcs8(file, der);
        case "RSA PRIVATE KEY" -> pkcs8(file, wrap(RSA_ALGORITHM, der));
        case "EC PRIVATE KEY" -> pkcs8(file, wrapEc(file, der));
        case "ENCRYPTED PRIVATE KEY" ->
            throw new TlsMaterialException(file + ": encrypted private keys are not supported (expected: an unencrypted PKCS#8, PKCS#1 or SEC1 key)");
        default -> throw new TlsMaterialException(file + ": unsupported key type " + label);
      };
    }
    throw new TlsMaterialException(file + ": no PEM private key block (expected: PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
  }

  private static PrivateKey pkcs8(Path file, byte[] der) throws TlsMaterialException {
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    for (String algorithm : List.of("RSA", "EC", "Ed25519", "RSASSA-PSS")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    throw new TlsMaterialException(file + ": not a valid RSA or EC private key");
  }

  private static List<byte[]> blocks(Path file, String wanted) throws TlsMaterialException {
    String text = read(file);
    Matcher m = BLOCK.matcher(text);
    List<byte[]> out = new ArrayList<>();
    while (m.find()) {
      if (m.group(1).equals(wanted)) {
        out.add(decode(file, m.group(2)));
      }
    }
    return out;
  }

  private static String read(Path file) throws TlsMaterialException {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new TlsMaterialException(file + ": cannot read (" + e.getClass().getSimpleName() + ")", e);
    } catch (RuntimeException e) {
      throw new TlsMaterialException(file + ": not a PEM text file", e);
    }
  }

  private static byte[] decode(Path file, String base64) throws TlsMaterialException {
    try {
      return Base64.getMimeDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new TlsMaterialException(file + ": bad base64 in a PEM block", e);
    }
  }

  /** PrivateKeyInfo { version 0, algorithm, OCTET STRING key }. */
  private static byte[] wrap(byte[] algorithm, byte[] key) {
    ByteArrayOutputStream body = new ByteArrayOutputStream(key.length + 32);
    body.writeBytes(new byte[] {0x02, 0x01, 0x00});
    body.writeBytes(algorithm);
    body.writeBytes(tlv(0x04, key));
    return tlv(0x30, body.toByteArray());
  }

  /** SEC1 ECPrivateKey → PKCS#8, with the named curve taken from the key's [0] parameters. */
  private static byte[] wrapEc(Path file, byte[] sec1) throws TlsMaterialException {
    Der outer = new Der(sec1, 0, sec1.length);
    Der seq = outer.next(0x30);
    seq.next(0x02); // version
    seq.next(0x04); // private key
    while (seq.hasMore()) {
      int tag = seq.peekTag();
      Der field = seq.next(tag);
      if (tag == 0xa0) {
        byte[] curve = field.remaining();
        byte[] algorithm = tlv(0x30, concat(EC_PUBLIC_KEY_OID, curve));
        return wrap(algorithm, sec1);
      }
    }
    if (outer.failed || seq.failed) {
      throw new TlsMaterialException(file + ": not a valid SEC1 EC private key");
    }
    throw new TlsMaterialException(file + ": EC private key without its curve (expected: named curve parameters)");
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static byte[] tlv(int tag, byte[] value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 6);
    out.write(tag);
    int n = value.length;
    if (n < 0x80) {
      out.write(n);
    } else if (n < 0x100) {
      out.write(0x81);
      out.write(n);
    } else if (n < 0x10000) {
      out.write(0x82);
      out.write(n >> 8);
      out.write(n);
    } else {
      out.write(0x83);
      out.write(n >> 16);
      out.write(n >> 8);
      out.write(n);
    }
    out.writeBytes(value);
    return out.toByteArray();
  }

  /** Just enough DER reading for SEC1 keys; a malformed input sets {@link #failed}. */
  private static final class Der {
    private final byte[] b;
    private int pos;
    private final int end;
    boolean failed;

    Der(byte[] b, int from, int end) {
      this.b = b;
      this.pos = from;
      this.end = end;
    }

    boolean hasMore() {
      return !failed && pos < end;
    }

    int peekTag() {
      return pos < end ? b[pos] & 0xff : -1;
    }

    /** The contents of the next element, which must have {@code tag}. */
    Der next(int tag) {
      if (failed || pos + 2 > end || (b[pos] & 0xff) != tag) {
        failed = true;
        return new Der(b, end, end);
      }
      pos++;
      int len = b[pos++] & 0xff;
      if (len >= 0x80) {
        int bytes = len & 0x7f;
        if (bytes == 0 || bytes > 3 || pos + bytes > end) {
          failed = true;
          return new Der(b, end, end);
        }
        len = 0;
        for (int i = 0; i < bytes; i++) {
          len = (len << 8) | (b[pos++] & 0xff);
        }
      }
      if (pos + len > end) {
        failed = true;
        return new Der(b, end, end);
      }
      Der inner = new Der(b, pos, pos + len);
      pos += len;
      return inner;
    }

    byte[] remaining() {
      byte[] out = new byte[end - pos];
      System.arraycopy(b, pos, out, 0, out.length);
      return out;
    }
  }
}
