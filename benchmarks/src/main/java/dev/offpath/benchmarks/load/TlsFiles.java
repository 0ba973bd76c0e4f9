package dev.offpath.benchmarks.load;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A CA and a server certificate for one load run, made at run time with the {@code openssl} CLI
 * into a directory of the run's own (nothing is committed): EC P-256 keys (what Istio issues to
 * workloads), the server's key as PKCS#8 PEM, its certificate signed by the CA for {@code
 * 127.0.0.1} and {@code localhost}, valid two days. {@link #delete} removes the files.
 */
record TlsFiles(Path dir, Path caCert, Path serverCert, Path serverKey) {

  private static final long OPENSSL_TIMEOUT_SECONDS = 60;

  /** Generates the files in {@code dir} (which must exist); fails with openssl's output if it fails. */
  static TlsFiles generate(Path dir) throws IOException, InterruptedException {
    requireNonNull(dir, "dir");
    Path caKey = dir.resolve("ca.key");
    Path caCert = dir.resolve("ca.crt");
    Path key = dir.resolve("server.key");
    Path csr = dir.resolve("server.csr");
    Path cert = dir.resolve("server.crt");
    Path ext = dir.resolve("server.ext");
    Files.writeString(
        ext,
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
            + "extendedKeyUsage=serverAuth\n"
            + "keyUsage=critical,digitalSignature\n",
        StandardCharsets.UTF_8);
    openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", caKey.toString(), "-out", caCert.toString(), "-days", "2",
        "-subj", "/CN=offpath load CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key.toString(), "-out", csr.toString(), "-subj", "/CN=offpath");
    openssl(dir, "x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(),
        "-CAkey", caKey.toString(), "-CAcreateserial", "-out", cert.toString(), "-days", "2",
        "-extfile", ext.toString());
    return new TlsFiles(dir, caCert, cert, key);
  }

  private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add("openssl");
    command.addAll(List.of(args));
    Path output = dir.resolve("openssl.out");
    Process p =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    if (!p.waitFor(OPENSSL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("openssl " + args[0] + ": no answer in " + OPENSSL_TIMEOUT_SECONDS + " s");
    }
    if (p.exitValue() != 0) {
      throw new IOException(
          "openssl " + String.join(" ", args) + " failed (status " + p.exitValue() + "):\n"
              + Files.readString(output));
    }
  }

  /** Deletes the files and the directory. */
  void delete() throws IOException {
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
    }
    Files.deleteIfExists(dir);
  }
}
