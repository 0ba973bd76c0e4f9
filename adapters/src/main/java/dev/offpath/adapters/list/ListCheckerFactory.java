package dev.offpath.adapters.list;

import static java.util.Objects.requireNonNull;

import dev.offpath.adapters.list.ListConfig.EntryType;
import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.AdapterFactory;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.Params;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Mixer's list adapter, named {@code listchecker} as Istio 1.1's {@code compiledAdapter} and 1.0's
 * kind call it. Defaults are Mixer's: refreshInterval 60s, ttl 300s, cachingInterval 300s,
 * cachingUseCount 10000, STRINGS, whitelist. Validation follows Mixer's: the provider settings are
 * checked only when there is a provider URL (refreshInterval at least 1s, ttl longer than
 * refreshInterval); every override must parse for the entry type.
 */
public final class ListCheckerFactory implements AdapterFactory<ListConfig> {

  static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofSeconds(60);
  static final Duration DEFAULT_TTL = Duration.ofSeconds(300);
  static final Duration DEFAULT_CACHING_INTERVAL = Duration.ofSeconds(300);
  static final int DEFAULT_CACHING_USE_COUNT = 10000;

  @Override
  public String name() {
    return "listchecker";
  }

  @Override
  public Set<String> templates() {
    return Set.of("listentry");
  }

  @Override
  public ListConfig parse(Params params) throws AdapterConfigException {
    requireNonNull(params, "params");
    URI providerUrl = providerUrl(params);
    Duration refreshInterval = params.duration("refreshInterval", DEFAULT_REFRESH_INTERVAL);
    Duration ttl = params.duration("ttl", DEFAULT_TTL);
    if (providerUrl != null) {
      if (refreshInterval.compareTo(Duration.ofSeconds(1)) < 0) {
        throw params.invalid(
            "refreshInterval",
            text(params, "refreshInterval", refreshInterval) + " (expected: >= 1s)");
      }
      if (ttl.compareTo(refreshInterval) <= 0) {
        throw params.invalid(
            "ttl",
            text(params, "ttl", ttl)
                + " (expected: > refreshInterval, "
                + text(params, "refreshInterval", refreshInterval)
                + ")");
      }
    }
    Duration cachingInterval = params.duration("cachingInterval", DEFAULT_CACHING_INTERVAL);
    if (cachingInterval.isNegative()) {
      throw params.invalid(
          "cachingInterval",
          text(params, "cachingInterval", cachingInterval) + " (expected: >= 0)");
    }
    long useCount = params.longValue("cachingUseCount", DEFAULT_CACHING_USE_COUNT);
    if (useCount < 0 || useCount > Integer.MAX_VALUE) {
      throw params.invalid(
          "cachingUseCount", useCount + " (expected: 0 to " + Integer.MAX_VALUE + ")");
    }
    EntryType entryType = params.enumValue("entryType", EntryType.class, EntryType.STRINGS);
    List<String> overrides = params.stringList("overrides");
    try {
      Entries.compile(entryType, overrides);
    } catch (BadEntryException e) {
      throw params.invalid("overrides[" + e.index() + "]", String.valueOf(e.getMessage()));
    }
    boolean blacklist = params.booleanValue("blacklist", false);
    params.rejectUnknown();
    return new ListConfig(
        providerUrl,
        refreshInterval,
        ttl,
        cachingInterval,
        (int) useCount,
        overrides,
        entryType,
        blacklist);
  }

  private static @Nullable URI providerUrl(Params params) throws AdapterConfigException {
    String text = params.string("providerUrl", "");
    if (text.isEmpty()) {
      return null;
    }
    try {
      URI uri = new URI(text);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
        return uri;
      }
    } catch (URISyntaxException e) {
      // reported below
    }
    throw params.invalid("providerUrl", text + " (expected: an http or https URL with a host)");
  }

  /** The param as written, or the default in seconds. */
  private static String text(Params params, String key, Duration value)
      throws AdapterConfigException {
    String written = params.string(key);
    if (written != null) {
      return written;
    }
    return value.getNano() == 0 ? value.getSeconds() + "s" : value.toMillis() + "ms";
  }

  @Override
  public Handler create(ListConfig config, AdapterEnvironment environment) {
    return new ListHandler(
        requireNonNull(config, "config"), requireNonNull(environment, "environment"));
  }
}
