package dev.offpath.core.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A real Sentinel deployment for tests: a master, one replica and three sentinels (quorum 2,
 * {@code down-after-milliseconds} 1000, {@code failover-timeout} 5000), all {@code redis-server}
 * processes on free loopback ports, config files and logs in {@code dir}. Close it after the test:
 * it kills every process.
 */
@SuppressWarnings("try") // close() waits for the servers to exit, so it may be interrupted
public final class RedisSentinelGroup implements AutoCloseable {

  public static final String MASTER_ID = "offpath-test";
  private static final Duration AWAIT = Duration.ofSeconds(60);

  private final List<RedisProcess> data = new ArrayList<>();
  private final List<RedisProcess> sentinels = new ArrayList<>();

  private RedisSentinelGroup() {}

  public static RedisSentinelGroup start(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    RedisSentinelGroup group = new RedisSentinelGroup();
    try {
      int masterPort = RedisProcess.freePort(false);
      int replicaPort = RedisProcess.freePort(false);
      group.data.add(dataNode(dir, masterPort, null));
      group.data.add(dataNode(dir, replicaPort, masterPort));
      for (RedisProcess n : group.data) {
        n.start();
      }
      for (int i = 0; i < 3; i++) {
        int port = RedisProcess.freePort(false);
        Path conf = dir.resolve("sentinel-" + port + ".conf");
        Files.writeString(
            conf,
            String.join(
                "\n",
                "port " + port,
                "bind 127.0.0.1",
                "daemonize no",
                "dir " + dir,
                "sentinel monitor " + MASTER_ID + " 127.0.0.1 " + masterPort + " 2",
                "sentinel down-after-milliseconds " + MASTER_ID + " 1000",
                "sentinel failover-timeout " + MASTER_ID + " 5000",
                "sentinel parallel-syncs " + MASTER_ID + " 1",
                ""));
        RedisProcess s =
            new RedisProcess(
                List.of(conf.toString(), "--sentinel"),
                port,
                dir.resolve("sentinel-" + port + ".log"),
                null);
        group.sentinels.add(s);
        s.start();
      }
      group.awaitReady();
      return group;
    } catch (IOException | InterruptedException | RuntimeException e) {
      group.close();
      throw e;
    }
  }

  private static RedisProcess dataNode(Path dir, int port, Integer masterPort) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--port", Integer.toString(port),
                "--bind", "127.0.0.1",
                "--dir", dir.toString(),
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                "--loglevel", "notice"));
    if (masterPort != null) {
      args.addAll(List.of("--replicaof", "127.0.0.1", Integer.toString(masterPort)));
    }
    return new RedisProcess(args, port, dir.resolve("redis-" + port + ".log"), null);
  }

  /** {@code redis-sentinel://} with the three sentinels and the master id. */
  public String url() {
    return "redis-sentinel://"
        + sentinels.stream().map(s -> "127.0.0.1:" + s.port()).collect(Collectors.joining(","))
        + "#"
        + MASTER_ID;
  }

  /** The data node the sentinels name as master now. */
  public RedisProcess master() throws IOException {
    for (RedisProcess s : sentinels) {
      if (s.alive()) {
        List<?> addr = (List<?>) s.call("SENTINEL", "get-master-addr-by-name", MASTER_ID);
        int port = Integer.parseInt(addr.get(1).toString());
        return data.stream()
            .filter(n -> n.port() == port)
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("unknown master port " + port));
      }
    }
    throw new IllegalStateException("no live sentinel");
  }

  public List<RedisProcess> dataNodes() {
    return List.copyOf(data);
  }

  /**
   * Waits until every sentinel knows the replica and the two other sentinels (a failover needs a
   * quorum and an elected leader), and the replica is in sync.
   */
  public void awaitReady() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + AWAIT.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        boolean ok = true;
        for (RedisProcess s : sentinels) {
          Map<String, String> m = fields(s.call("SENTINEL", "master", MASTER_ID));
          if (!"2".equals(m.get("num-other-sentinels"))
              || !"1".equals(m.get("num-slaves"))
              || m.getOrDefault("flags", "").contains("down")) {
            ok = false;
            last = s.port() + ": " + m;
          }
        }
        RedisProcess master = master();
        if (ok && "1".equals(master.info("replication", "connected_slaves"))) {
          return;
        }
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("sentinels not ready within " + AWAIT + ": " + last);
  }

  /** Kills the master and waits until the sentinels name the replica as master. */
  public RedisProcess killMasterAndAwaitFailover() throws IOException, InterruptedException {
    RedisProcess old = master();
    old.kill();
    long deadline = System.nanoTime() + AWAIT.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        RedisProcess now = master();
        if (now != old && "master".equals(now.info("replication", "role"))) {
          return now;
        }
      } catch (IOException e) {
        // a sentinel mid-election
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("no failover within " + AWAIT);
  }

  private static Map<String, String> fields(Object reply) {
    List<?> list = (List<?>) reply;
    Map<String, String> m = new java.util.HashMap<>();
    for (int i = 0; i + 1 < list.size(); i += 2) {
      m.put(list.get(i).toString(), list.get(i + 1).toString());
    }
    return m;
  }

  @Override
  public void close() throws InterruptedException {
    for (RedisProcess s : sentinels) {
      s.kill();
    }
    for (RedisProcess n : data) {
      n.kill();
    }
  }
}
