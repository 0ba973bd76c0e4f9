package dev.offpath.adapters.redisquota;

import dev.offpath.core.adapter.AdapterEnvironment;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.time.Ticker;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** redisquota handlers for tests, in real time, closed (with their scheduler) by {@link #close}. */
final class TestHandlers implements AutoCloseable {

  static final String QUOTA = "requestcount.quota.istio-system";

  private final List<RedisQuotaHandler> handlers = new ArrayList<>();
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "test-scheduler");
            t.setDaemon(true);
            return t;
          });

  AdapterEnvironment environment() {
    return new AdapterEnvironment() {
      @Override
      public Ticker ticker() {
        return Ticker.system();
      }

      @Override
      public InstantSource clock() {
        return InstantSource.system();
      }

      @Override
      public ScheduledExecutorService scheduler() {
        return scheduler;
      }

      @Override
      public String handlerName() {
        return "handler.redisquota.istio-system";
      }
    };
  }

  /** A handler with one quota ({@code maxAmount} per 60 s unless {@code quota} says otherwise). */
  RedisQuotaHandler handler(String url, Map<String, Object> quota, Object... params)
      throws Exception {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("redisServerUrl", url);
    p.put("quotas", List.of(quota));
    for (int i = 0; i < params.length; i += 2) {
      p.put((String) params[i], params[i + 1]);
    }
    RedisQuotaFactory factory = new RedisQuotaFactory();
    RedisQuotaHandler h =
        (RedisQuotaHandler) factory.create(factory.parse(Params.of(p)), environment());
    handlers.add(h);
    return h;
  }

  static Map<String, Object> quota(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", QUOTA);
    m.put("maxAmount", 100);
    m.put("validDuration", "60s");
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  static Instance instance(String... dimensions) {
    Map<String, Object> fields = new LinkedHashMap<>();
    for (int i = 0; i < dimensions.length; i += 2) {
      fields.put("dimensions." + dimensions[i], dimensions[i + 1]);
    }
    return new Instance(QUOTA, "quota", fields);
  }

  @Override
  public void close() {
    handlers.forEach(RedisQuotaHandler::close);
    scheduler.shutdownNow();
  }
}
