package dev.offpath.core.config;

import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.AdapterFactory;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.adapter.Handler;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.remote.RemoteHandlerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Test-only adapter factories named like the real ones ({@code denier}, {@code listchecker}, {@code
 * memquota}) that parse a representative part of their params, so config tests do not depend on the
 * adapters module; {@code prometheus} and {@code stdio} accept any params. They never create
 * handlers.
 */
final class TestAdapters {

  private TestAdapters() {}

  static AdapterRegistry registry() {
    return AdapterRegistry.of(
        List.of(new Denier(), new ListChecker(), new MemQuota(), new Report("prometheus"),
            new Report("stdio"), new Remote()));
  }

  /** The registry without the out-of-process factory (a build without remote-adapters). */
  static AdapterRegistry withoutRemote() {
    return AdapterRegistry.of(
        List.of(new Denier(), new ListChecker(), new MemQuota(), new Report("prometheus"),
            new Report("stdio")));
  }

  /**
   * Stands for the remote-adapters module's factory ({@link RemoteHandlerConfig#FACTORY_NAME}):
   * the config compiler builds its handlers' config itself and never calls {@code parse}.
   */
  static final class Remote extends NoHandlers<RemoteHandlerConfig> {
    @Override
    public String name() {
      return RemoteHandlerConfig.FACTORY_NAME;
    }

    @Override
    public Set<String> templates() {
      return Set.of();
    }

    @Override
    public RemoteHandlerConfig parse(Params params) {
      throw new UnsupportedOperationException("remote handlers are compiled by the loader");
    }
  }

  record DenierConfig(int code, String message, Duration validDuration, long validUseCount) {}

  record ListConfig(
      List<String> overrides,
      EntryType entryType,
      boolean blacklist,
      @Nullable String providerUrl) {}

  enum EntryType {
    STRINGS,
    CASE_INSENSITIVE_STRINGS,
    IP_ADDRESSES,
    REGEX
  }

  record QuotaOverride(Map<String, String> dimensions, long maxAmount, Duration validDuration) {}

  record Quota(
      String name, long maxAmount, Duration validDuration, List<QuotaOverride> overrides) {}

  record MemQuotaConfig(List<Quota> quotas) {}

  private abstract static class NoHandlers<C> implements AdapterFactory<C> {
    @Override
    public Handler create(C config, AdapterEnvironment environment) {
      throw new UnsupportedOperationException("test factory " + name() + " creates no handlers");
    }
  }

  static final class Denier extends NoHandlers<DenierConfig> {
    @Override
    public String name() {
      return "denier";
    }

    @Override
    public Set<String> templates() {
      return Set.of("checknothing");
    }

    @Override
    public DenierConfig parse(Params params) throws AdapterConfigException {
      int code = 7;
      String message = "";
      Params status = params.object("status");
      if (status != null) {
        long c = status.longValue("code", 7);
        if (c < 0 || c > 16) {
          throw status.invalid("code", c + " (expected: 0..16)");
        }
        code = (int) c;
        message = status.string("message", "");
        status.rejectUnknown();
      }
      Duration validDuration = params.duration("validDuration", Duration.ofSeconds(5));
      long validUseCount = params.longValue("validUseCount", 1000);
      params.rejectUnknown();
      return new DenierConfig(code, message, validDuration, validUseCount);
    }
  }

  static final class ListChecker extends NoHandlers<ListConfig> {
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
      String providerUrl = params.string("providerUrl");
      params.duration("refreshInterval");
      params.duration("ttl");
      params.duration("cachingInterval");
      params.longValue("cachingUseCount", 0);
      List<String> overrides = params.stringList("overrides");
      EntryType entryType = params.enumValue("entryType", EntryType.class, EntryType.STRINGS);
      boolean blacklist = params.booleanValue("blacklist", false);
      params.rejectUnknown();
      return new ListConfig(overrides, entryType, blacklist, providerUrl);
    }
  }

  static final class MemQuota extends NoHandlers<MemQuotaConfig> {
    @Override
    public String name() {
      return "memquota";
    }

    @Override
    public Set<String> templates() {
      return Set.of("quota");
    }

    @Override
    public MemQuotaConfig parse(Params params) throws AdapterConfigException {
      List<Quota> quotas = new ArrayList<>();
      for (Params q : params.objectList("quotas")) {
        String name = q.requireString("name");
        long maxAmount = positive(q, "maxAmount");
        Duration validDuration = q.duration("validDuration", Duration.ZERO);
        List<QuotaOverride> overrides = new ArrayList<>();
        for (Params o : q.objectList("overrides")) {
          overrides.add(
              new QuotaOverride(
                  o.stringMap("dimensions"),
                  positive(o, "maxAmount"),
                  o.duration("validDuration", validDuration)));
          o.rejectUnknown();
        }
        q.rejectUnknown();
        quotas.add(new Quota(name, maxAmount, validDuration, overrides));
      }
      params.duration("minDeduplicationDuration");
      params.rejectUnknown();
      return new MemQuotaConfig(quotas);
    }

    private static long positive(Params p, String key) throws AdapterConfigException {
      long v = p.longValue(key, 0);
      if (v <= 0) {
        throw p.invalid(key, v + " (expected: > 0)");
      }
      return v;
    }
  }

  /** A report adapter that takes any params; its config is empty. */
  static final class Report extends NoHandlers<ReportConfig> {
    private final String name;

    Report(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Set<String> templates() {
      return Set.of("metric", "logentry");
    }

    @Override
    public ReportConfig parse(Params params) {
      return new ReportConfig();
    }
  }

  record ReportConfig() {}
}
