package dev.offpath.server.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Certificates made at test time with the {@code openssl} command (Debian package openssl): a CA,
 * and leaf certificates it signs with chosen SANs and key formats. Nothing is committed.
 */
public final class TestPki {

  /** How a leaf's private key is written. */
  public enum KeyFormat {
    PKCS8_RSA,
    PKCS1_RSA,
    PKCS8_EC,
    SEC1_EC
  }

  /** A certificate and its key, as files. */
  public record Pair(Path cert, Path key) {}

  private final Path dir;

  public TestPki(Path dir) {
    this.dir = dir;
  }

  /** A self-signed CA named {@code name}. */
  public Pair ca(String name) throws IOException, InterruptedException {
    Path key = dir.resolve(name + ".key");
    Path cert = dir.resolve(name + ".crt");
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", key.toString(), "-out", cert.toString(), "-days", "2", "-subj", "/CN=" + name,
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    return new Pair(cert, key);
  }

  /** A leaf for {@code name} signed by {@code ca}, with SANs such as {@code DNS:localhost,IP:127.0.0.1}. */
  public Pair leaf(Pair ca, String name, String sans, KeyFormat format) throws IOException, InterruptedException {
    Path key = dir.resolve(name + ".key");
    Path csr = dir.resolve(name + ".csr");
    Path cert = dir.resolve(name + ".crt");
    Path ext = dir.resolve(name + ".ext");
    switch (format) {
      case PKCS8_RSA -> run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key.toString());
      case PKCS1_RSA -> run("openssl", "genrsa", "-traditional", "-out", key.toString(), "2048");
      case PKCS8_EC -> run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.toString());
      case SEC1_EC -> run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key.toString());
    }
    run("openssl", "req", "-new", "-key", key.toString(), "-out", csr.toString(), "-subj", "/CN=" + name);
    Files.writeString(ext, "subjectAltName=" + sans + "\nextendedKeyUsage=serverAuth,clientAuth\n", StandardCharsets.US_ASCII);
    run("openssl", "x509", "-req", "-in", csr.toString(), "-CA", ca.cert().toString(), "-CAkey", ca.key().toString(),
        "-set_serial", "0x" + Long.toHexString(System.nanoTime() & Long.MAX_VALUE), "-out", cert.toString(), "-days", "2",
        "-extfile", ext.toString());
    return new Pair(cert, key);
  }

  private void run(String... command) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(command));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed:\n" + out);
    }
  }
}
