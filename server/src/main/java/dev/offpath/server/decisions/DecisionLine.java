package dev.offpath.server.decisions;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.offpath.core.attribute.AttributeJson;
import dev.offpath.core.runtime.Decision;
import dev.offpath.core.runtime.DryRunDenial;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Formats one decision as one JSON line (README "Operating Offpath", decision log):
 *
 * <pre>{"time","requestId","allowed","status","httpStatus","rule","handler","message","cached",
 * ["dryRun":true,"dryRunDenials":[{"rule","handler","status","message","quota"}],]"attributes":{...}}</pre>
 *
 * <p>{@code attributes} are the reads of the precondition phase (see {@link
 * dev.offpath.core.runtime.AttributeReads}): name → value, null for absent, map keys as {@code
 * map[key]}. A redacted name's value is replaced by {@value #REDACTED}; a redacted map name covers
 * each of its keys.
 *
 * <p>Confined to the writer thread: reuses one buffer.
 */
final class DecisionLine {

  static final String REDACTED = "[redacted]";

  private static final JsonFactory JSON = new JsonFactory();

  private final Set<String> redact;
  private final Buffer buffer = new Buffer();

  DecisionLine(Set<String> redact) {
    this.redact = Set.copyOf(redact);
  }

  /** Formats the line, with its newline, into {@link #array()} (valid until the next call). */
  void format(
      Instant time,
      @Nullable String requestId,
      Decision decision,
      boolean cached,
      Map<String, @Nullable Object> attributes) {
    buffer.reset();
    try (JsonGenerator g = JSON.createGenerator(buffer)) {
      g.writeStartObject();
      g.writeStringField("time", time.toString());
      g.writeStringField("requestId", requestId);
      g.writeBooleanField("allowed", decision.allowed());
      g.writeStringField("status", decision.status().code().name());
      g.writeNumberField("httpStatus", decision.status().code().httpStatus());
      g.writeStringField("rule", decision.decidingRule());
      g.writeStringField("handler", decision.decidingHandler());
      g.writeStringField("message", decision.status().message());
      g.writeBooleanField("cached", cached);
      if (!decision.dryRunDenials().isEmpty()) {
        g.writeBooleanField("dryRun", true);
        g.writeArrayFieldStart("dryRunDenials");
        for (DryRunDenial d : decision.dryRunDenials()) {
          g.writeStartObject();
          g.writeStringField("rule", d.rule());
          g.writeStringField("handler", d.handler());
          g.writeStringField("status", d.status().code().name());
          g.writeStringField("message", d.status().message());
          g.writeBooleanField("quota", d.quota());
          g.writeEndObject();
        }
        g.writeEndArray();
      }
      g.writeObjectFieldStart("attributes");
      for (Map.Entry<String, @Nullable Object> a : attributes.entrySet()) {
        g.writeFieldName(a.getKey());
        Object value = a.getValue();
        if (value == null) {
          g.writeNull();
        } else if (redacted(a.getKey())) {
          g.writeString(REDACTED);
        } else {
          g.writeRawValue(AttributeJson.toJson(value));
        }
      }
      g.writeEndObject();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    buffer.write('\n');
  }

  private boolean redacted(String name) {
    if (redact.isEmpty()) {
      return false;
    }
    if (redact.contains(name)) {
      return true;
    }
    int bracket = name.indexOf('[');
    return bracket > 0 && redact.contains(name.substring(0, bracket));
  }

  /** The bytes of the last line: {@code [0, length())}. */
  byte[] array() {
    return buffer.array();
  }

  int length() {
    return buffer.size();
  }

  /** A byte buffer whose array can be written out without a copy. */
  private static final class Buffer extends ByteArrayOutputStream {
    Buffer() {
      super(1024);
    }

    byte[] array() {
      return buf;
    }
  }
}
