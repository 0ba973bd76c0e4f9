package dev.offpath.core.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A real Redis Cluster for tests: {@code masters} masters with one replica each, on free loopback
 * ports (and their bus ports, +10000), created with {@code redis-cli --cluster create …
 * --cluster-replicas 1} (Debian's redis-tools), files and logs in {@code dir}. {@code
 * cluster-node-timeout} is 1 s, so a killed master's replica is promoted a few seconds later.
 * Optionally every node requires {@code password}. Close it after the test: it kills every node.
 */
@SuppressWarnings("try") // close() waits for the servers to exit, so it may be interrupted
public final class RedisCluster implements AutoCloseable {

  public static final Duration NODE_TIMEOUT = Duration.ofSeconds(1);
  private static final Duration AWAIT = Duration.ofSeconds(60);

  private final List<RedisProcess> nodes;
  private final String password;

  private RedisCluster(List<RedisProcess> nodes, String password) {
    this.nodes = nodes;
    this.password = password;
  }

  /** Starts 3 masters and 3 replicas, without a password. */
  public static RedisCluster start(Path dir) throws IOException, InterruptedException {
    return start(dir, 3, null);
  }

  public static RedisCluster start(Path dir, int masters, String password)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    List<RedisProcess> nodes = new ArrayList<>();
    RedisCluster cluster = new RedisCluster(nodes, password);
    try {
      for (int i = 0; i < masters * 2; i++) {
        int port = RedisProcess.freePort(true);
        List<String> args =
            new ArrayList<>(
                List.of(
                    "--port", Integer.toString(port),
                    "--bind", "127.0.0.1",
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", dir.resolve("nodes-" + port + ".conf").toString(),
                    "--cluster-node-timeout", Long.toString(NODE_TIMEOUT.toMillis()),
                    // As README "Global quota with Redis" advises: the live masters keep serving
                    // their slots while a dead master's replica is promoted.
                    "--cluster-require-full-coverage", "no",
                    "--dir", dir.toString(),
                    "--save", "",
                    "--appendonly", "no",
                    "--daemonize", "no",
                    "--loglevel", "notice"));
        if (password != null) {
          args.addAll(List.of("--requirepass", password, "--masterauth", password));
        }
        RedisProcess node =
            new RedisProcess(args, port, dir.resolve("redis-" + port + ".log"), password);
        nodes.add(node);
        node.start();
      }
      List<String> create = new ArrayList<>(List.of(redisCli().toString(), "--cluster", "create"));
      for (RedisProcess n : nodes) {
        create.add("127.0.0.1:" + n.port());
      }
      create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
      if (password != null) {
        create.addAll(List.of("-a", password, "--no-auth-warning"));
      }
      Path out = dir.resolve("cluster-create.log");
      Process p =
          new ProcessBuilder(create)
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .start();
      if (!p.waitFor(AWAIT.toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException(
            "redis-cli --cluster create failed:\n" + Files.readString(out));
      }
      cluster.awaitHealthy();
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** {@code redis-cluster://} with every master as a seed. */
  public String url() throws IOException {
    return "redis-cluster://"
        + masters().stream().map(n -> "127.0.0.1:" + n.port()).collect(Collectors.joining(","));
  }

  public List<RedisProcess> nodes() {
    return List.copyOf(nodes);
  }

  /** The live nodes that are masters with slots now, as a live node sees the cluster. */
  public List<RedisProcess> masters() throws IOException {
    List<RedisProcess> out = new ArrayList<>();
    for (Map.Entry<Integer, String> e : roles().entrySet()) {
      if (e.getValue().equals("master")) {
        out.add(node(e.getKey()));
      }
    }
    return out;
  }

  /** port → "master" (with slots) / "replica" / "failed", from CLUSTER NODES of a live node. */
  public Map<Integer, String> roles() throws IOException {
    Map<Integer, String> roles = new LinkedHashMap<>();
    for (String line : String.valueOf(live().call("CLUSTER", "NODES")).split("\n")) {
      String[] f = line.trim().split(" ");
      if (f.length < 8) {
        continue;
      }
      int port = Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1, f[1].indexOf('@')));
      String flags = f[2];
      String role;
      if (flags.contains("fail")) {
        role = "failed";
      } else if (flags.contains("master")) {
        role = f.length > 8 ? "master" : "master-without-slots";
      } else {
        role = "replica";
      }
      roles.put(port, role);
    }
    return roles;
  }

  /** The master that owns {@code key}'s slot now. */
  public RedisProcess masterOf(String key) throws IOException {
    long slot = (Long) live().call("CLUSTER", "KEYSLOT", key);
    for (Object o : (List<?>) live().call("CLUSTER", "SLOTS")) {
      List<?> range = (List<?>) o;
      if ((Long) range.get(0) <= slot && slot <= (Long) range.get(1)) {
        int port = ((Long) ((List<?>) range.get(2)).get(1)).intValue();
        return node(port);
      }
    }
    throw new IllegalStateException("slot " + slot + " is not served");
  }

  /** GET on the master of the key's slot. */
  public String get(String key) throws IOException {
    Object v = masterOf(key).call("GET", key);
    return v == null ? null : v.toString();
  }

  /** Sum over the live masters of how many times they ran {@code command}. */
  public long commandCalls(String command) throws IOException {
    long n = 0;
    for (RedisProcess m : masters()) {
      n += m.commandCalls(command);
    }
    return n;
  }

  /** FLUSHALL and CONFIG RESETSTAT on every live master. */
  public void reset() throws IOException {
    for (RedisProcess m : masters()) {
      m.call("FLUSHALL");
      m.call("CONFIG", "RESETSTAT");
    }
  }

  /**
   * Waits until every live node says {@code cluster_state:ok}, every slot is served by a live
   * master, and every live master has a live replica in sync.
   */
  public void awaitHealthy() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + AWAIT.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        boolean ok = true;
        for (RedisProcess n : nodes) {
          if (n.alive() && !"ok".equals(state(n))) {
            ok = false;
            last = n.port() + " not ok";
          }
        }
        Map<Integer, String> roles = roles();
        long masters = roles.values().stream().filter("master"::equals).count();
        long replicas =
            roles.entrySet().stream()
                .filter(e -> e.getValue().equals("replica") && node(e.getKey()).alive())
                .count();
        if (ok && masters > 0 && replicas >= masters && slotsCovered()) {
          return;
        }
        last = last + " roles " + roles;
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("cluster not healthy within " + AWAIT + ": " + last);
  }

  private boolean slotsCovered() throws IOException {
    long covered = 0;
    for (Object o : (List<?>) live().call("CLUSTER", "SLOTS")) {
      List<?> range = (List<?>) o;
      int port = ((Long) ((List<?>) range.get(2)).get(1)).intValue();
      if (!node(port).alive()) {
        return false;
      }
      covered += (Long) range.get(1) - (Long) range.get(0) + 1;
    }
    return covered == 16_384;
  }

  /** Kills {@code node} and waits until its replica serves its slots. */
  public void killAndAwaitFailover(RedisProcess node) throws IOException, InterruptedException {
    node.kill();
    awaitPromotion(node);
  }

  /** Waits until the slots of the killed {@code node} are served by a live master. */
  public void awaitPromotion(RedisProcess node) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + AWAIT.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (slotsCovered()) {
          boolean ok = true;
          for (RedisProcess n : nodes) {
            if (n.alive() && !"ok".equals(state(n))) {
              ok = false;
            }
          }
          if (ok) {
            return;
          }
        }
      } catch (IOException e) {
        // a node answering mid-failover
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("no failover for " + node.port() + " within " + AWAIT);
  }

  /** {@code cluster_state} from CLUSTER INFO ({@code ok} or {@code fail}). */
  private static String state(RedisProcess n) throws IOException {
    for (String line : String.valueOf(n.call("CLUSTER", "INFO")).split("\r\n")) {
      if (line.startsWith("cluster_state:")) {
        return line.substring("cluster_state:".length());
      }
    }
    return null;
  }

  private RedisProcess live() {
    for (RedisProcess n : nodes) {
      if (n.alive()) {
        return n;
      }
    }
    throw new IllegalStateException("no live node");
  }

  private RedisProcess node(int port) {
    for (RedisProcess n : nodes) {
      if (n.port() == port) {
        return n;
      }
    }
    throw new IllegalStateException("no node on " + port);
  }

  @Override
  public void close() throws InterruptedException {
    for (RedisProcess n : nodes) {
      n.kill();
    }
  }

  static Path redisCli() {
    Path server = RedisProcess.binary();
    Path cli = server.resolveSibling("redis-cli");
    if (Files.isExecutable(cli)) {
      return cli;
    }
    throw new IllegalStateException(
        "redis-cli not found next to " + server + ": install Debian's redis-tools (.ci/run does)");
  }
}
