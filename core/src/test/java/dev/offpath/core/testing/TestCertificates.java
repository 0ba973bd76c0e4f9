package dev.offpath.core.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A CA and a server certificate for {@code 127.0.0.1} (IP SAN), generated at test time with the
 * {@code openssl} command (Debian's openssl package; {@code .ci/run} installs it), valid one day.
 * Nothing is committed.
 *
 * @param ca the CA certificate (PEM), for clients to trust
 * @param certificate the server certificate (PEM), signed by the CA
 * @param key the server's private key (PEM)
 */
public record TestCertificates(Path ca, Path certificate, Path key) {

  /** Generates the files in {@code dir}. */
  public static TestCertificates generate(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path ca = dir.resolve("ca.crt");
    Path caKey = dir.resolve("ca.key");
    Path key = dir.resolve("server.key");
    Path csr = dir.resolve("server.csr");
    Path cert = dir.resolve("server.crt");
    Path ext = dir.resolve("san.ext");
    Files.writeString(ext, "subjectAltName=IP:127.0.0.1\n");
    run(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey.toString(),
        "-out", ca.toString(), "-days", "1", "-subj", "/CN=offpath-test-ca");
    run(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(),
        "-out", csr.toString(), "-subj", "/CN=127.0.0.1");
    run(dir, "x509", "-req", "-in", csr.toString(), "-CA", ca.toString(), "-CAkey",
        caKey.toString(), "-CAcreateserial", "-out", cert.toString(), "-days", "1",
        "-extfile", ext.toString());
    return new TestCertificates(ca, cert, key);
  }

  private static void run(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>();
    command.add("openssl");
    command.addAll(List.of(args));
    Path log = dir.resolve("openssl.log");
    Process p =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(
          "openssl " + String.join(" ", args) + " failed:\n" + Files.readString(log));
    }
  }
}
