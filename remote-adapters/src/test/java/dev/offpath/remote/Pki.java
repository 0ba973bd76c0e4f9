package dev.offpath.remote;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A CA, a server certificate (IP 127.0.0.1 and DNS adapter.test) and a client certificate, made at
 * test time with the {@code openssl} command (P-256 keys in PKCS#8), valid one day. Nothing is
 * committed.
 */
record Pki(Path ca, Path serverCert, Path serverKey, Path clientCert, Path clientKey) {

  static final String SERVER_NAME = "adapter.test";

  static Pki generate(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path ca = dir.resolve("ca.crt");
    Path caKey = dir.resolve("ca.key");
    run(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", caKey.toString(), "-out", ca.toString(), "-days", "1", "-subj", "/CN=offpath-test-ca");
    Path[] server = leaf(dir, "server", ca, caKey, "subjectAltName=IP:127.0.0.1,DNS:" + SERVER_NAME);
    Path[] client = leaf(dir, "client", ca, caKey, "extendedKeyUsage=clientAuth");
    return new Pki(ca, server[0], server[1], client[0], client[1]);
  }

  private static Path[] leaf(Path dir, String name, Path ca, Path caKey, String ext)
      throws IOException, InterruptedException {
    Path key = dir.resolve(name + ".key");
    Path csr = dir.resolve(name + ".csr");
    Path cert = dir.resolve(name + ".crt");
    Path extFile = dir.resolve(name + ".ext");
    Files.writeString(extFile, ext + "\n");
    run(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.toString());
    run(dir, "req", "-new", "-key", key.toString(), "-out", csr.toString(), "-subj", "/CN=" + name);
    run(dir, "x509", "-req", "-in", csr.toString(), "-CA", ca.toString(), "-CAkey", caKey.toString(),
        "-CAcreateserial", "-out", cert.toString(), "-days", "1", "-extfile", extFile.toString());
    return new Path[] {cert, key};
  }

  private static void run(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
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
