package dev.offpath.adapters.list;

import dev.offpath.adapters.list.ListConfig.EntryType;
import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.CheckHandler;
import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.StatusCode;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.time.Ticker;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Checks a {@code listentry} value against a white- or blacklist, as Mixer's list adapter did: a
 * hit on a blacklist is PERMISSION_DENIED "X is blacklisted", a miss on a whitelist
 * PERMISSION_DENIED "X is not whitelisted", a value that cannot be compared INVALID_ARGUMENT; each
 * answer may be reused for cachingInterval / cachingUseCount.
 *
 * <p>Without a provider URL the list is the overrides, compiled once. With one, the list is fetched
 * in the background ({@link #refreshNow()}, scheduled every refreshInterval on the environment's
 * scheduler, with {@link HttpClient} running on that scheduler too) and replaced whole through a
 * volatile {@link Snapshot}; checks only read the snapshot and never wait. A failed fetch keeps the
 * previous list; when no fetch has succeeded for ttl (measured on the injected ticker) the list is
 * dropped and checks fail with UNAVAILABLE, not cacheable, until a fetch succeeds again. Mixer
 * returned its last fetch error in that case.
 *
 * <p>Provider format, as Mixer read it: one entry per line for strings and regexes (empty lines
 * skipped; a trailing CR is dropped); YAML {@code whitelist: [...]} for IP addresses. The overrides
 * are added to every fetched list.
 */
final class ListHandler implements CheckHandler {

  private static final Logger log = LoggerFactory.getLogger(ListHandler.class);
  private static final Duration MAX_FETCH_TIMEOUT = Duration.ofSeconds(30);
  static final long MAX_LIST_BYTES = 64L << 20;

  /**
   * A list and when it was fetched; {@code entries} null when there is none to serve, {@code
   * fetched} false until the first successful fetch.
   */
  private record Snapshot(
      @Nullable Entries entries,
      boolean fetched,
      long fetchedAtNanos,
      @Nullable String lastError) {}

  private final ListConfig config;
  private final String handlerName;
  private final Ticker ticker;
  private final @Nullable URI provider;
  private final @Nullable HttpClient client;
  private final @Nullable ScheduledFuture<?> refresher;
  private final long ttlNanos;
  private final long maxBytes;
  private volatile Snapshot snapshot;
  private @Nullable CompletableFuture<Void> inFlight;

  ListHandler(ListConfig config, AdapterEnvironment environment) {
    this(config, environment, MAX_LIST_BYTES);
  }

  ListHandler(ListConfig config, AdapterEnvironment environment, long maxBytes) {
    this.config = config;
    this.maxBytes = maxBytes;
    this.handlerName = environment.handlerName();
    this.ticker = environment.ticker();
    this.provider = config.providerUrl();
    this.ttlNanos = config.ttl().toNanos();
    if (provider == null) {
      this.snapshot = new Snapshot(compile(List.of()), true, ticker.nanoTime(), null);
      this.client = null;
      this.refresher = null;
    } else {
      this.snapshot = new Snapshot(null, false, ticker.nanoTime(), null);
      this.client =
          HttpClient.newBuilder()
              .executor(environment.scheduler())
              .followRedirects(HttpClient.Redirect.NORMAL)
              .connectTimeout(fetchTimeout())
              .build();
      this.refresher =
          environment
              .scheduler()
              .scheduleWithFixedDelay(
                  this::scheduledRefresh,
                  0,
                  config.refreshInterval().toNanos(),
                  TimeUnit.NANOSECONDS);
    }
  }

  private Entries compile(List<String> fetched) {
    List<String> all = new ArrayList<>(fetched.size() + config.overrides().size());
    all.addAll(fetched);
    all.addAll(config.overrides());
    try {
      return Entries.compile(config.entryType(), all);
    } catch (BadEntryException e) {
      if (e.index() >= fetched.size()) {
        throw new IllegalStateException("override passed validation but does not compile", e);
      }
      throw new IllegalArgumentException("could not parse list entry " + e.getMessage());
    }
  }

  @Override
  public CheckResult check(Instance instance) {
    Snapshot s = snapshot;
    Entries entries = s.entries;
    if (provider != null) {
      if (!s.fetched) {
        return unavailable("list from " + provider + " is not available yet", s);
      }
      if (entries == null || ticker.nanoTime() - s.fetchedAtNanos >= ttlNanos) {
        return unavailable(
            "list from " + provider + " has expired (no successful fetch within ttl)", s);
      }
    }
    if (entries == null) {
      throw new IllegalStateException("no list without a provider");
    }
    Object raw = instance.field("value");
    Object value;
    if (raw instanceof String || raw instanceof IpAddress) {
      value = raw;
    } else if (raw == null) {
      return result(
          StatusCode.INVALID_ARGUMENT, "value is absent (expected: a string or IP address)");
    } else {
      return result(StatusCode.INVALID_ARGUMENT, raw + " is not a valid string or IP address");
    }
    boolean found;
    try {
      found = entries.contains(value);
    } catch (IllegalArgumentException e) {
      return result(StatusCode.INVALID_ARGUMENT, String.valueOf(e.getMessage()));
    }
    if (config.blacklist()) {
      return found
          ? result(StatusCode.PERMISSION_DENIED, value + " is blacklisted")
          : result(StatusCode.OK, "");
    }
    return found
        ? result(StatusCode.OK, "")
        : result(StatusCode.PERMISSION_DENIED, value + " is not whitelisted");
  }

  private CheckResult result(StatusCode code, String message) {
    return CheckResult.denied(code, message, config.cachingInterval(), config.cachingUseCount());
  }

  private static CheckResult unavailable(String message, Snapshot s) {
    String m = s.lastError == null ? message : message + "; last error: " + s.lastError;
    return CheckResult.denied(StatusCode.UNAVAILABLE, m, Duration.ZERO, 0);
  }

  private void scheduledRefresh() {
    try {
      refreshNow();
    } catch (RuntimeException e) {
      log.warn("{}: could not start refreshing list from {}", handlerName, provider, e);
    }
  }

  /**
   * Fetches the list now, unless a fetch is already under way (then returns that one). The future
   * completes, never exceptionally, once the new list is installed or the failure recorded.
   */
  synchronized CompletableFuture<Void> refreshNow() {
    if (inFlight != null && !inFlight.isDone()) {
      return inFlight;
    }
    URI uri = provider;
    HttpClient http = client;
    if (uri == null || http == null) {
      return CompletableFuture.completedFuture(null);
    }
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(fetchTimeout()).GET().build();
    CompletableFuture<Void> f;
    try {
      f =
          http.sendAsync(request, info -> new LimitedBody(maxBytes))
              .handle(
                  (response, error) -> {
                    if (error != null) {
                      failed(describe(error));
                    } else if (response.statusCode() != 200) {
                      failed("HTTP status " + response.statusCode());
                    } else {
                      install(response.body());
                    }
                    return null;
                  });
    } catch (RuntimeException e) {
      failed(describe(e));
      f = CompletableFuture.completedFuture(null);
    }
    inFlight = f;
    return f;
  }

  private Duration fetchTimeout() {
    Duration interval = config.refreshInterval();
    return interval.compareTo(MAX_FETCH_TIMEOUT) < 0 ? interval : MAX_FETCH_TIMEOUT;
  }

  private static String describe(Throwable error) {
    Throwable t =
        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    return t.getMessage() == null
        ? t.getClass().getSimpleName()
        : t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  private void install(byte[] body) {
    Entries entries;
    try {
      entries = compile(parseBody(config.entryType(), body));
    } catch (IllegalArgumentException e) {
      failed(String.valueOf(e.getMessage()));
      return;
    }
    snapshot = new Snapshot(entries, true, ticker.nanoTime(), null);
    log.info("{}: installed list from {} with {} entries", handlerName, provider, entries.size());
  }

  private void failed(String error) {
    Snapshot s = snapshot;
    boolean expired = ticker.nanoTime() - s.fetchedAtNanos >= ttlNanos;
    snapshot = new Snapshot(expired ? null : s.entries, s.fetched, s.fetchedAtNanos, error);
    log.warn("{}: could not fetch list from {}: {}", handlerName, provider, error);
  }

  /**
   * SnakeYAML's default document limit is 3 MiB of code points, far below what the fetch accepts
   * ({@link #MAX_LIST_BYTES}): a large IP list would pass the fetch and then never parse. A body of
   * at most that many bytes has at most that many code points.
   */
  private static LoaderOptions yamlOptions() {
    LoaderOptions options = new LoaderOptions();
    options.setCodePointLimit((int) MAX_LIST_BYTES);
    return options;
  }

  /** The entries a provider served, in Mixer's format for the entry type. */
  static List<String> parseBody(EntryType type, byte[] body) {
    String text = new String(body, StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    if (type == EntryType.IP_ADDRESSES) {
      Object doc;
      try {
        doc = new Yaml(new SafeConstructor(yamlOptions())).load(text);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("could not parse list as YAML: " + e.getMessage());
      }
      if (doc == null) {
        return out;
      }
      if (!(doc instanceof Map<?, ?> map)) {
        throw new IllegalArgumentException(
            "could not parse list (expected: YAML with a 'whitelist' list of addresses)");
      }
      Object list = map.get("whitelist");
      if (list == null) {
        return out;
      }
      if (!(list instanceof List<?> items)) {
        throw new IllegalArgumentException(
            "could not parse list (expected: YAML with a 'whitelist' list of addresses)");
      }
      for (Object item : items) {
        out.add(String.valueOf(item));
      }
      return out;
    }
    for (String line : text.split("\n", -1)) {
      out.add(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
    }
    return out;
  }

  /** Collects a response body of at most {@code max} bytes; a larger one fails the fetch. */
  private static final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {
    private final HttpResponse.BodySubscriber<byte[]> delegate =
        HttpResponse.BodySubscribers.ofByteArray();
    private final long max;
    private long received;
    private boolean failed;
    private Flow.@Nullable Subscription subscription;

    LimitedBody(long max) {
      this.max = max;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return delegate.getBody();
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      delegate.onSubscribe(s);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
      if (failed) {
        return;
      }
      for (ByteBuffer b : item) {
        received += b.remaining();
      }
      if (received > max) {
        failed = true;
        if (subscription != null) {
          subscription.cancel();
        }
        delegate.onError(new IOException("list is larger than " + max + " bytes"));
        return;
      }
      delegate.onNext(item);
    }

    @Override
    public void onError(Throwable error) {
      if (!failed) {
        delegate.onError(error);
      }
    }

    @Override
    public void onComplete() {
      if (!failed) {
        delegate.onComplete();
      }
    }
  }

  @Override
  public void close() {
    if (refresher != null) {
      refresher.cancel(false);
    }
    if (client != null) {
      client.shutdownNow();
    }
  }
}
