package dev.offpath.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import dev.offpath.core.testing.RedisProcess;
import dev.offpath.core.testing.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A Redis password given in {@code redisServerUrl} is used (TLS to a real redis-server that
 * requires it) and never printed: not in logs (Redis up, dead, unreachable at start), errors,
 * {@code /config}, {@code /metrics}, {@code /debug/vars}, or {@code offpath validate} output.
 */
class RedisPasswordNeverPrintedTest {

  private static final String PASSWORD = "Pw-7f3a9c1e-never-print-me";

  @TempDir Path dir;
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  @AfterEach
  void close() throws Exception {
    root.detachAppender(logs);
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
  }

  @Test
  void thePasswordAuthenticatesOverTlsAndAppearsNowhere() throws Exception {
    logs.start();
    root.addAppender(logs);
    TestCertificates certs = TestCertificates.generate(dir.resolve("certs"));
    int tlsPort = RedisProcess.freeLoopbackPort();
    RedisProcess redis =
        RedisProcess.standalone(
            dir.resolve("redis"),
            PASSWORD,
            "--tls-port", Integer.toString(tlsPort),
            "--tls-cert-file", certs.certificate().toString(),
            "--tls-key-file", certs.key().toString(),
            "--tls-ca-cert-file", certs.ca().toString(),
            "--tls-auth-clients", "no");
    closing.add(redis);
    Path config =
        RedisQuotaFleet.config(
            dir, "tls", "rediss://:" + PASSWORD + "@127.0.0.1:" + tlsPort, "FIXED_WINDOW", 5,
            "FAIL_OPEN", "redisCaFile: " + certs.ca());
    RedisQuotaFleet fleet = new RedisQuotaFleet();
    closing.add(fleet);
    ServerHarness server = fleet.start(config);
    List<String> printed = new ArrayList<>();
    // The password works: over TLS, the limit of 5 is counted in Redis and enforced.
    // FAIL_OPEN passes while the first (TLS) answer is still on its way, so wait for it, bounded.
    int denied = 0;
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (denied == 0 && System.nanoTime() < until) {
      if (fleet.check(0, "alice", Duration.ofSeconds(10)) == RedisQuotaFleet.RESOURCE_EXHAUSTED) {
        denied++;
      } else {
        Thread.sleep(5);
      }
    }
    assertThat(denied).as("the limit enforced through the TLS connection").isOne();
    assertThat(redis.call("GET", RedisQuotaFleet.key("alice", "FIXED_WINDOW"))).isEqualTo("5");
    for (String path : List.of("/config", "/metrics", "/debug/vars", "/healthz", "/readyz")) {
      printed.add(server.admin(path).body());
    }
    // Redis dies: failed calls, reconnect attempts, breaker logs.
    redis.kill();
    for (int n = 0; n < 50; n++) {
      fleet.check(0, "bob" + n, Duration.ofSeconds(10));
    }
    printed.add(server.metrics());
    // A server whose Redis is unreachable at start warns with the URL (the password masked).
    Path unreachable =
        RedisQuotaFleet.config(
            dir, "unreachable",
            "rediss://:" + PASSWORD + "@127.0.0.1:" + RedisProcess.freeLoopbackPort(),
            "FIXED_WINDOW", 5, "FAIL_CLOSE", "redisCaFile: " + certs.ca());
    fleet.start(unreachable);
    fleet.check(1, "carol", Duration.ofSeconds(10));
    printed.add(fleet.servers.get(1).admin("/config").body());
    // offpath validate: a valid config, and invalid ones whose errors are about the URL.
    for (Path file : List.of(config, unreachable)) {
      CliTest.Result r = CliTest.run("validate", file.toString());
      assertThat(r.exit()).as(r.err()).isZero();
      printed.add(r.out());
      printed.add(r.err());
    }
    for (String bad :
        List.of(
            "redis://:" + PASSWORD + "@127.0.0.1:99999",
            "redis-sentinel://:" + PASSWORD + "@127.0.0.1:1",
            PASSWORD + "@127.0.0.1:1",
            "redis://:" + PASSWORD + "%zz@127.0.0.1:1")) {
      Path file =
          RedisQuotaFleet.config(dir, "bad", bad, "FIXED_WINDOW", 5, "FAIL_OPEN", "");
      CliTest.Result r = CliTest.run("validate", file.toString());
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.err()).contains(file + ":").contains("redisServerUrl");
      printed.add(r.out());
      printed.add(r.err());
    }
    fleet.close();
    closing.remove(fleet);
    root.detachAppender(logs);
    for (ILoggingEvent e : logs.list) {
      printed.add(e.getFormattedMessage());
      for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
        printed.add(t.getClassName() + ": " + t.getMessage());
      }
    }
    String all = String.join("\n", printed);
    // What was captured is real: the unreachable handler's warning, the masked URL in it.
    assertThat(all).contains("rediss://:***@127.0.0.1:");
    assertThat(all).doesNotContain(PASSWORD).doesNotContain("never-print-me");
  }
}
