package dev.offpath.server;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code offpath} command. */
@Command(
    name = "offpath",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Mixer-style policy and telemetry for Envoy over ext_authz, ext_proc and access logs.",
    subcommands = {
      ServeCommand.class,
      ValidateCommand.class,
      EvalCommand.class,
      CheckCommand.class,
      ExplainCommand.class,
      VerifyCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code (for tests). */
  public static int run(String... args) {
    return new CommandLine(new Main()).execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"offpath " + (v == null ? "dev" : v)};
    }
  }
}
