package dev.offpath.server;

import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.config.ConfigError;
import dev.offpath.core.config.ConfigException;
import dev.offpath.core.config.ConfigLoader;
import dev.offpath.core.config.ConfigWarning;
import dev.offpath.core.config.PolicyConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code offpath validate PATH...}: loads config offline. Exit 0 when valid (warnings are printed),
 * 1 when invalid, each error as {@code file:line: message}.
 */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description =
        "Validate Mixer config (and the EnvoyProxy declaration) in files/directories; errors print"
            + " as file:line: message.")
final class ValidateCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "PATH", description = "Config files or directories.")
  List<Path> paths;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      PolicyConfig config =
          new ConfigSource(new ConfigLoader(AdapterRegistry.installed()), paths).load().policy();
      for (ConfigWarning w : config.warnings()) {
        err.println(w);
      }
      out.printf(
          "valid: %d rules, %d handlers, %d instances, %d warning(s)%n",
          config.rules().size(), config.handlers().size(), config.instances().size(), config.warnings().size());
      out.flush();
      err.flush();
      return 0;
    } catch (ConfigException e) {
      for (ConfigError error : e.errors()) {
        err.println(error);
      }
      err.printf("invalid: %d error(s)%n", e.errors().size());
      err.flush();
      return 1;
    } catch (IOException e) {
      err.println("offpath: cannot read config: " + e);
      err.flush();
      return 1;
    }
  }
}
