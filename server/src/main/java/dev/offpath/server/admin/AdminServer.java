package dev.offpath.server.admin;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP endpoint (Mixer's monitoring port, 9093 by default):
 *
 * <ul>
 *   <li>{@code /healthz}: 200 {@code ok} while the process serves;
 *   <li>{@code /readyz}: 200 when the readiness check says so, else 503;
 *   <li>{@code /metrics}: the registry in Prometheus text format 0.0.4, or OpenMetrics / protobuf
 *       when the scraper's {@code Accept} header asks for it;
 *   <li>{@code /config}, {@code /debug/vars}: JSON from the given suppliers;
 *   <li>any path added with {@link Builder#page} or {@link Builder#endpoint}.
 * </ul>
 *
 * <p>An endpoint registered as loopback-only ({@code /debug/jfr}, {@code /debug/threads}: they
 * expose the process's internals and cost CPU) answers 403 to a peer that is not on a loopback
 * address, unless the builder was told the port is {@link Builder#secured secured}.
 *
 * <p>Paths match exactly; anything else is 404, and any method but GET is 405. Suppliers are called
 * per request on the server's own small thread pool (never on gRPC threads); one that throws yields a
 * 500 and a log line. {@link #close()} stops accepting, lets exchanges in flight finish for up to the
 * drain timeout, then stops the pool.
 */
public final class AdminServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
  private static final String JSON = "application/json";
  private static final String TEXT = "text/plain; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;
  private final Duration drainTimeout;
  private final Map<String, Page> pages;
  private final Map<String, Endpoint> endpoints;
  private final boolean secured;
  private final PrometheusRegistry registry;
  private final ExpositionFormats formats = ExpositionFormats.init();
  private final BooleanSupplier ready;
  private final AtomicBoolean closed = new AtomicBoolean();

  private AdminServer(Builder b) throws IOException {
    registry = requireNonNull(b.registry, "registry");
    ready = b.ready;
    drainTimeout = b.drainTimeout;
    pages = Map.copyOf(b.pages);
    endpoints = Map.copyOf(b.endpoints);
    secured = b.secured;
    if (b.tls == null) {
      server = HttpServer.create(b.address, 0);
    } else {
      HttpsServer https = HttpsServer.create(b.address, 0);
      https.setHttpsConfigurator(new TlsConfigurator(b.tls));
      server = https;
    }
    executor = Executors.newFixedThreadPool(b.threads, new AdminThreads());
    server.setExecutor(executor);
    HttpContext root = server.createContext("/", this::handle);
    root.getFilters().addAll(b.filters);
    server.start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The address the server is bound to; its port is the one picked when port 0 was asked for. */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** Stops accepting, waits up to the drain timeout for exchanges in flight, stops the pool. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    int seconds = (int) Math.max(0, Math.min(Integer.MAX_VALUE, drainTimeout.toSeconds()));
    server.stop(seconds);
    executor.shutdown();
    try {
      if (!executor.awaitTermination(Math.max(1, seconds), TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      try {
        route(exchange);
      } catch (RuntimeException e) {
        log.warn("admin request {} failed", exchange.getRequestURI(), e);
        respond(exchange, 500, TEXT, "internal error\n");
      }
    }
  }

  private void route(HttpExchange exchange) throws IOException {
    if (!"GET".equals(exchange.getRequestMethod())) {
      exchange.getResponseHeaders().set("Allow", "GET");
      respond(exchange, 405, TEXT, "method not allowed: " + exchange.getRequestMethod() + "\n");
      return;
    }
    String path = exchange.getRequestURI().getPath();
    switch (path) {
      case "/healthz" -> respond(exchange, 200, TEXT, "ok\n");
      case "/readyz" -> {
        boolean isReady = ready.getAsBoolean();
        respond(exchange, isReady ? 200 : 503, TEXT, isReady ? "ready\n" : "not ready\n");
      }
      case "/metrics" -> metrics(exchange);
      default -> {
        Endpoint endpoint = endpoints.get(path);
        if (endpoint != null) {
          endpoint(exchange, endpoint);
          return;
        }
        Page page = pages.get(path);
        if (page == null) {
          respond(exchange, 404, TEXT, "not found: " + path + "\n");
        } else {
          respond(exchange, 200, page.contentType(), page.body().get());
        }
      }
    }
  }

  private void endpoint(HttpExchange exchange, Endpoint endpoint) throws IOException {
    InetAddress remote = exchange.getRemoteAddress().getAddress();
    if (!permits(endpoint.loopbackOnly(), secured, remote)) {
      respond(exchange, 403, TEXT, "forbidden: loopback only while the admin port is not secured\n");
      return;
    }
    AdminEndpoint.Response r =
        endpoint.endpoint().serve(new AdminEndpoint.Request(exchange.getRequestURI().getRawQuery(), remote));
    r.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
    exchange.getResponseHeaders().set("Content-Type", r.contentType());
    exchange.sendResponseHeaders(r.status(), r.body().length == 0 ? -1 : r.body().length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(r.body());
    }
  }

  /** Whether a peer at {@code remote} may use an endpoint. */
  static boolean permits(boolean loopbackOnly, boolean secured, InetAddress remote) {
    return !loopbackOnly || secured || remote.isLoopbackAddress();
  }

  private void metrics(HttpExchange exchange) throws IOException {
    ExpositionFormatWriter writer =
        formats.findWriter(exchange.getRequestHeaders().getFirst("Accept"));
    ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
    writer.write(body, registry.scrape());
    exchange.getResponseHeaders().set("Content-Type", writer.getContentType());
    exchange.sendResponseHeaders(200, body.size());
    try (OutputStream out = exchange.getResponseBody()) {
      body.writeTo(out);
    }
  }

  private static void respond(HttpExchange exchange, int status, String contentType, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private record Page(String contentType, Supplier<String> body) {}

  /** TLS 1.2+ only, no client certificates (the admin port authenticates with a bearer token). */
  private static final class TlsConfigurator extends HttpsConfigurator {
    TlsConfigurator(SSLContext context) {
      super(context);
    }

    @Override
    public void configure(HttpsParameters params) {
      SSLParameters ssl = getSSLContext().getDefaultSSLParameters();
      ssl.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
      ssl.setNeedClientAuth(false);
      params.setSSLParameters(ssl);
    }
  }

  private record Endpoint(AdminEndpoint endpoint, boolean loopbackOnly) {}

  private static final class AdminThreads implements ThreadFactory {
    private final AtomicInteger count = new AtomicInteger();

    @Override
    public Thread newThread(Runnable r) {
      Thread t = new Thread(r, "offpath-admin-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    }
  }

  /** Options of an {@link AdminServer}; only the registry is required. */
  public static final class Builder {
    private InetSocketAddress address = new InetSocketAddress("127.0.0.1", 9093);
    private @Nullable PrometheusRegistry registry;
    private BooleanSupplier ready = () -> true;
    private Duration drainTimeout = Duration.ofSeconds(1);
    private int threads = 2;
    private final Map<String, Page> pages = new LinkedHashMap<>();
    private final List<Filter> filters = new ArrayList<>();
    private @Nullable SSLContext tls;
    private final Map<String, Endpoint> endpoints = new LinkedHashMap<>();
    private boolean secured;

    private Builder() {
      pages.put("/config", new Page(JSON, () -> "{}"));
      pages.put("/debug/vars", new Page(JSON, () -> "{}"));
    }

    /** Where to listen; port 0 picks a free port (see {@link AdminServer#port()}). */
    public Builder address(String host, int port) {
      requireNonNull(host, "host");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
      }
      address = new InetSocketAddress(host, port);
      return this;
    }

    public Builder registry(PrometheusRegistry registry) {
      this.registry = requireNonNull(registry, "registry");
      return this;
    }

    /** The readiness check behind {@code /readyz}; called per request. Default: always ready. */
    public Builder readiness(BooleanSupplier ready) {
      this.ready = requireNonNull(ready, "ready");
      return this;
    }

    /** The live config as JSON, secrets already redacted, for {@code /config}. */
    public Builder config(Supplier<String> json) {
      return page("/config", JSON, json);
    }

    /** Process and runtime variables as JSON, for {@code /debug/vars}. */
    public Builder debugVars(Supplier<String> json) {
      return page("/debug/vars", JSON, json);
    }

    /** Serves {@code body.get()} with {@code contentType} at exactly {@code path}. */
    public Builder page(String path, String contentType, Supplier<String> body) {
      requireNonNull(contentType, "contentType");
      requireNonNull(body, "body");
      pages.put(checkPath(path), new Page(contentType, body));
      endpoints.remove(path);
      return this;
    }

    private static String checkPath(String path) {
      requireNonNull(path, "path");
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("path: " + path + " (expected: starts with /)");
      }
      if (path.equals("/healthz") || path.equals("/readyz") || path.equals("/metrics")) {
        throw new IllegalArgumentException("path: " + path + " (expected: not a built-in endpoint)");
      }
      return path;
    }

    /**
     * Serves {@code endpoint} at exactly {@code path}; when {@code loopbackOnly}, only to loopback
     * peers unless the port is {@link #secured}.
     */
    public Builder endpoint(String path, AdminEndpoint endpoint, boolean loopbackOnly) {
      requireNonNull(endpoint, "endpoint");
      endpoints.put(checkPath(path), new Endpoint(endpoint, loopbackOnly));
      pages.remove(path);
      return this;
    }

    /**
     * The port authenticates its clients (TLS and a bearer token): loopback-only endpoints answer
     * any authenticated peer. Default false.
     */
    public Builder secured(boolean secured) {
      this.secured = secured;
      return this;
    }

    /** How long {@link AdminServer#close()} waits for exchanges in flight. Default 1 s. */
    public Builder drainTimeout(Duration timeout) {
      requireNonNull(timeout, "timeout");
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("drainTimeout: " + timeout + " (expected: >= 0)");
      }
      drainTimeout = timeout;
      return this;
    }

    /** Size of the server's own thread pool. Default 2. */
    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads: " + threads + " (expected: > 0)");
      }
      this.threads = threads;
      return this;
    }

    /** Serves HTTPS with this context (TLS 1.2+) instead of plain HTTP. */
    public Builder tls(SSLContext context) {
      this.tls = requireNonNull(context, "context");
      return this;
    }

    /** Runs {@code filter} before every handler (authentication, say); filters run in order. */
    public Builder filter(Filter filter) {
      filters.add(requireNonNull(filter, "filter"));
      return this;
    }

    /** Binds and starts serving. */
    public AdminServer start() throws IOException {
      if (registry == null) {
        throw new IllegalStateException("registry: not set (expected: registry(...) before start())");
      }
      return new AdminServer(this);
    }
  }
}
