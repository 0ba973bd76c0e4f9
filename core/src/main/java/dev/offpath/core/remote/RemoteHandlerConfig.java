package dev.offpath.core.remote;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The parsed config of a handler of an out-of-process adapter ({@code spec.adapter} names a {@code
 * kind: adapter} object): the adapter's name, the templates it serves (its {@code templates:}), the
 * connection, the handler's {@code params} already encoded against the adapter's {@code Params}
 * message (sent with every call as {@code adapter_config}, a {@code google.protobuf.Any}: {@code
 * paramsTypeUrl} and {@code params}; both null when the adapter declares no config or is session
 * based) and the failure policy.
 *
 * <p>This is the {@code adapterConfig} of the handler's {@link dev.offpath.core.config.HandlerConfig},
 * whose adapter is the factory registered as {@link #FACTORY_NAME}. Equal configs let a reload keep
 * the running handler.
 */
public record RemoteHandlerConfig(
    String adapter,
    boolean sessionBased,
    List<RemoteTemplate> templates,
    RemoteConnection connection,
    @Nullable String paramsTypeUrl,
    @Nullable ByteString params,
    RemoteFailurePolicy failurePolicy) {

  /** The name of the {@link dev.offpath.core.adapter.AdapterFactory} that runs these handlers. */
  public static final String FACTORY_NAME = "offpath.remote";

  public RemoteHandlerConfig {
    requireNonNull(adapter, "adapter");
    templates = List.copyOf(templates);
    requireNonNull(connection, "connection");
    requireNonNull(failurePolicy, "failurePolicy");
    if ((paramsTypeUrl == null) != (params == null)) {
      throw new IllegalArgumentException("paramsTypeUrl and params: both or neither");
    }
  }

  /** The template named {@code name} among {@link #templates}, or null. */
  public @Nullable RemoteTemplate template(String name) {
    for (RemoteTemplate t : templates) {
      if (t.name().equals(name)) {
        return t;
      }
    }
    return null;
  }

  /**
   * For logs and {@code /config}: adapter, templates, connection (paths, never file contents) and
   * the size of the encoded params, never their bytes (params may hold credentials).
   */
  @Override
  public String toString() {
    return "RemoteHandlerConfig[adapter="
        + adapter
        + ", sessionBased="
        + sessionBased
        + ", templates="
        + templates.stream().map(RemoteTemplate::name).toList()
        + ", connection="
        + connection
        + ", params="
        + (params == null ? "none" : paramsTypeUrl + " (" + params.size() + " bytes)")
        + ", failurePolicy="
        + failurePolicy
        + "]";
  }
}
