package dev.offpath.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offpath.server.tls.TestPki.KeyFormat;
import dev.offpath.server.tls.TestPki.Pair;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** PEM keys in every supported format load and match their certificate; bad files say why. */
class PemFilesTest {

  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(KeyFormat.class)
  void everyKeyFormatLoadsAndMatchesItsCertificate(KeyFormat format) throws Exception {
    TestPki pki = new TestPki(dir);
    Pair ca = pki.ca("ca");
    Pair leaf = pki.leaf(ca, "server", "DNS:localhost", format);
    TlsMaterial m = TlsMaterial.load(new TlsOptions(leaf.cert(), leaf.key(), null, List.of()));
    assertThat(m.key().getAlgorithm()).isEqualTo(format.name().endsWith("RSA") ? "RSA" : "EC");
    assertThat(m.chain()).hasSize(1);
    assertThat(m.nettyContext().isServer()).isTrue();
  }

  @Test
  void aKeyOfAnotherCertificateIsRefusedNamingTheFiles() throws Exception {
    TestPki pki = new TestPki(dir);
    Pair ca = pki.ca("ca");
    Pair a = pki.leaf(ca, "a", "DNS:a", KeyFormat.SEC1_EC);
    Pair b = pki.leaf(ca, "b", "DNS:b", KeyFormat.SEC1_EC);
    assertThatThrownBy(() -> TlsMaterial.load(new TlsOptions(a.cert(), b.key(), null, List.of())))
        .isInstanceOf(TlsMaterialException.class)
        .hasMessage(b.key() + ": the key does not match the certificate in " + a.cert());
  }

  @Test
  void encryptedMissingAndGarbageFilesSayWhat() throws Exception {
    Path encrypted = dir.resolve("enc.key");
    Files.writeString(encrypted, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
    assertThatThrownBy(() -> PemFiles.privateKey(encrypted)).hasMessageContaining("encrypted private keys are not supported");
    assertThatThrownBy(() -> PemFiles.privateKey(dir.resolve("none.key"))).hasMessage(dir.resolve("none.key") + ": cannot read (NoSuchFileException)");
    Path garbage = dir.resolve("garbage.crt");
    Files.writeString(garbage, "hello");
    assertThatThrownBy(() -> PemFiles.certificates(garbage)).hasMessage(garbage + ": no PEM CERTIFICATE block");
    Path badEc = dir.resolve("bad-ec.key");
    Files.writeString(badEc, "-----BEGIN EC PRIVATE KEY-----\nMAMCAQE=\n-----END EC PRIVATE KEY-----\n");
    assertThatThrownBy(() -> PemFiles.privateKey(badEc)).isInstanceOf(TlsMaterialException.class).hasMessageStartingWith(badEc + ": ");
  }

  @Test
  void sanPatternsAreExactOrPrefixAndValidated() {
    SanPolicy p = new SanPolicy(List.of("spiffe://cluster.local/ns/istio-system/sa/*", "envoy.example.com"));
    assertThat(p.matches("spiffe://cluster.local/ns/istio-system/sa/istio-proxy")).isTrue();
    assertThat(p.matches("spiffe://cluster.local/ns/default/sa/x")).isFalse();
    assertThat(p.matches("envoy.example.com")).isTrue();
    assertThat(p.matches("envoy.example.com.evil")).isFalse();
    assertThatThrownBy(() -> new SanPolicy(List.of("spiffe://*/sa"))).hasMessageContaining("* only at the end");
    assertThatThrownBy(() -> new SanPolicy(List.of("*"))).hasMessageContaining("not empty or * alone");
  }
}
