package dev.offpath.server.admin;

import dev.offpath.server.admin.AdminEndpoint.Request;
import dev.offpath.server.admin.AdminEndpoint.Response;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.management.JMException;
import javax.management.ObjectName;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * Mixer's {@code /debug/pprof} role, done with the JDK's own tools:
 *
 * <ul>
 *   <li>{@code /debug/jfr?seconds=N}: records the process with JFR's {@code profile} settings for
 *       N seconds (default 10, 1..{@value #MAX_SECONDS}) and returns the recording ({@code
 *       application/octet-stream}, open it in JDK Mission Control or {@code jfr print}). One
 *       recording at a time: a second request while one runs gets 429. The admin thread serving it
 *       waits out the duration.
 *   <li>{@code /debug/threads}: a thread dump in {@code jstack}'s format (the {@code Thread.print}
 *       diagnostic command, with locks).
 * </ul>
 *
 * <p>Both are registered loopback-only: see {@link AdminServer}.
 */
public final class DebugEndpoints {

  /** The longest recording {@code /debug/jfr} makes. */
  public static final int MAX_SECONDS = 60;

  static final int DEFAULT_SECONDS = 10;

  private static final DateTimeFormatter FILE_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final AtomicBoolean recording = new AtomicBoolean();

  /** Registers {@code /debug/jfr} and {@code /debug/threads} on {@code admin}, loopback-only. */
  public static AdminServer.Builder register(AdminServer.Builder admin) {
    DebugEndpoints debug = new DebugEndpoints();
    return admin
        .endpoint("/debug/jfr", debug::jfr, true)
        .endpoint("/debug/threads", r -> threads(), true);
  }

  Response jfr(Request request) throws IOException {
    String text = request.parameter("seconds");
    int seconds;
    try {
      seconds = text == null ? DEFAULT_SECONDS : Integer.parseInt(text.strip());
    } catch (NumberFormatException e) {
      return Response.text(400, "seconds: '" + text + "' (expected: an integer 1.." + MAX_SECONDS + ")\n");
    }
    if (seconds < 1 || seconds > MAX_SECONDS) {
      return Response.text(400, "seconds: " + seconds + " (expected: 1.." + MAX_SECONDS + ")\n");
    }
    if (!recording.compareAndSet(false, true)) {
      return Response.text(429, "a JFR recording is already running; try again when it is done\n");
    }
    Path file = Files.createTempFile("offpath-", ".jfr");
    try (Recording r = new Recording(Configuration.getConfiguration("profile"))) {
      r.setName("offpath-debug-jfr");
      r.setToDisk(true);
      r.start();
      try {
        Thread.sleep(seconds * 1000L);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Response.text(503, "interrupted: the admin server is stopping\n");
      }
      r.stop();
      r.dump(file);
      byte[] body = Files.readAllBytes(file);
      String name = "offpath-" + FILE_TIME.format(Instant.now()) + ".jfr";
      return new Response(
          200,
          "application/octet-stream",
          body,
          Map.of("Content-Disposition", "attachment; filename=\"" + name + "\""));
    } catch (ParseException e) {
      throw new IOException("JFR 'profile' settings unreadable", e);
    } finally {
      Files.deleteIfExists(file);
      recording.set(false);
    }
  }

  static Response threads() throws IOException {
    try {
      Object dump =
          ManagementFactory.getPlatformMBeanServer()
              .invoke(
                  new ObjectName("com.sun.management:type=DiagnosticCommand"),
                  "threadPrint",
                  new Object[] {new String[] {"-l"}},
                  new String[] {String[].class.getName()});
      return new Response(
          200,
          "text/plain; charset=utf-8",
          String.valueOf(dump).getBytes(StandardCharsets.UTF_8),
          Map.of());
    } catch (JMException e) {
      throw new IOException("Thread.print failed", e);
    }
  }
}
