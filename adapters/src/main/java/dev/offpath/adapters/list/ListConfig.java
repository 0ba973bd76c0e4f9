package dev.offpath.adapters.list;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Parsed {@code listchecker} params (Istio 1.1's {@code adapter.list.config.Params}).
 *
 * @param providerUrl where the list is fetched from; null for a list of {@code overrides} only
 * @param refreshInterval how often the provider is polled
 * @param ttl how long a fetched list is trusted without a successful refresh
 * @param cachingInterval how long a caller may reuse an answer
 * @param cachingUseCount how many times a caller may reuse an answer
 * @param overrides entries that are always on the list
 * @param entryType how entries and values are compared
 * @param blacklist true: listed values are denied; false: only listed values are allowed
 */
public record ListConfig(
    @Nullable URI providerUrl,
    Duration refreshInterval,
    Duration ttl,
    Duration cachingInterval,
    int cachingUseCount,
    List<String> overrides,
    EntryType entryType,
    boolean blacklist) {

  public ListConfig {
    requireNonNull(refreshInterval, "refreshInterval");
    requireNonNull(ttl, "ttl");
    requireNonNull(cachingInterval, "cachingInterval");
    overrides = List.copyOf(overrides);
    requireNonNull(entryType, "entryType");
  }

  /** How list entries are read and compared (Mixer's {@code ListEntryType}, same order). */
  public enum EntryType {
    /** Exact strings. */
    STRINGS,
    /** Strings compared ignoring case. */
    CASE_INSENSITIVE_STRINGS,
    /** IPv4 and IPv6 addresses and CIDR ranges; a provider serves YAML {@code whitelist: [...]}. */
    IP_ADDRESSES,
    /** RE2 regular expressions, matching anywhere in the value. */
    REGEX
  }
}
