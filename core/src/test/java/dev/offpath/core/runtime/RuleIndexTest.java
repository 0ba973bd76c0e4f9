package dev.offpath.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.MapAttributes;
import dev.offpath.core.attribute.ReferencedAttributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.TrackingAttributes;
import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.expr.EvaluationException;
import dev.offpath.core.expr.Expression;
import dev.offpath.core.expr.ExpressionCompiler;
import dev.offpath.core.expr.LeadingEquality;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * {@link RuleIndex} against the plain evaluation it stands in for (every included rule's match, in
 * order): over many random policies — indexable shapes ({@code a == "x"}, {@code ||} of them, either
 * leading an {@code &&}, constant on the left) mixed with shapes that must not be indexed ({@code !=},
 * the equality on the right of an {@code &&}, mixed attributes in an {@code ||}, DNS names, no
 * match) — and random requests where the attributes are present, absent or of the wrong class, the
 * rules that match, the rules whose match fails, and the attributes read (the check cache's record,
 * in the order first read) must be the same.
 */
class RuleIndexTest {

  private static final AttributeManifest MANIFEST =
      AttributeManifest.of(
          Map.of(
              "destination.service.host", ValueType.STRING,
              "destination.service.name", ValueType.STRING,
              "request.method", ValueType.STRING,
              "source.namespace", ValueType.STRING,
              "request.size", ValueType.INT64,
              "destination.dns", ValueType.DNS_NAME,
              "request.headers", ValueType.STRING_MAP));
  private static final String[] STRINGS = {
    "destination.service.host", "destination.service.name", "request.method", "source.namespace"
  };

  private enum Outcome {
    MATCH,
    NO,
    ERROR
  }

  @Test
  void leadingEqualityShapes() throws Exception {
    assertThat(lead("destination.service.host == \"a\"")).containsExactly("a");
    assertThat(lead("\"a\" == request.method || request.method == \"b\" && request.size > 2"))
        .containsExactlyInAnyOrder("a", "b");
    assertThat(lead("(request.method == \"a\" && request.size > 1) || request.method == \"b\""))
        .containsExactlyInAnyOrder("a", "b");
    assertThat(lead("request.method != \"a\"")).isNull();
    assertThat(lead("request.size > 1 && request.method == \"a\"")).isNull();
    assertThat(lead("request.method == \"a\" || source.namespace == \"b\"")).isNull();
    assertThat(lead("destination.dns == dnsName(\"a.b\")")).isNull();
    assertThat(lead("request.headers[\"x\"] == \"a\"")).isNull();
    assertThat(lead("(request.method | \"GET\") == \"a\"")).isNull();
    assertThat(lead("!(request.method == \"a\")")).isNull();
  }

  private static @Nullable Set<String> lead(String text)
      throws Exception {
    LeadingEquality l = LeadingEquality.of(ExpressionCompiler.compile(text, MANIFEST));
    return l == null ? null : l.values();
  }

  @Test
  void sameMatchesErrorsAndReadsAsPlainEvaluation() throws Exception {
    Random random = new Random(14);
    int requests = 0;
    for (int policy = 0; policy < 300; policy++) {
      int n = 1 + random.nextInt(policy % 10 == 0 ? 300 : 40);
      List<Expression> matches = new ArrayList<>();
      boolean[] included = new boolean[n];
      for (int i = 0; i < n; i++) {
        String text = randomMatch(random);
        matches.add(text == null ? null : ExpressionCompiler.compile(text, MANIFEST));
        included[i] = policy % 3 != 0 || random.nextInt(3) == 0;
      }
      RuleIndex index = RuleIndex.of(matches, included);
      for (int r = 0; r < 40; r++) {
        Attributes bag = randomRequest(random);
        ReferencedAttributes plainReads = new ReferencedAttributes();
        List<Outcome> plain = plain(matches, included, new TrackingAttributes(bag, plainReads));
        ReferencedAttributes indexedReads = new ReferencedAttributes();
        List<Outcome> indexed = indexed(index, matches, new TrackingAttributes(bag, indexedReads));
        assertThat(indexed).as("policy %d request %s", policy, bag).isEqualTo(plain);
        assertThat(List.copyOf(indexedReads.attributes().entrySet()))
            .as("reads, policy %d request %s", policy, bag)
            .isEqualTo(List.copyOf(plainReads.attributes().entrySet()));
        assertThat(List.copyOf(indexedReads.mapKeys().entrySet()))
            .isEqualTo(List.copyOf(plainReads.mapKeys().entrySet()));
        requests++;
      }
    }
    assertThat(requests).isEqualTo(12_000);
  }

  @Test
  void aLargeGeneratedPolicyEvaluatesOnlyItsCandidates() throws Exception {
    List<Expression> matches = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      matches.add(
          ExpressionCompiler.compile(
              "destination.service.host == \"svc-" + i + "\" && request.headers[\"x-user\"] == \"u\"",
              MANIFEST));
    }
    matches.add(ExpressionCompiler.compile("request.size > 10", MANIFEST));
    boolean[] all = new boolean[matches.size()];
    java.util.Arrays.fill(all, true);
    RuleIndex index = RuleIndex.of(matches, all);
    assertThat(index.indexed()).isEqualTo(2000);
    RuleIndex.Cursor c =
        index.cursor(MapAttributes.of(Map.of("destination.service.host", "svc-1234")));
    assertThat(c.next()).isEqualTo(1234);
    assertThat(c.next()).isEqualTo(2000);
    assertThat(c.next()).isEqualTo(-1);
    // Absent: every rule filed under the attribute is evaluated (and fails, as without the index).
    RuleIndex.Cursor absent = index.cursor(MapAttributes.of(Map.of()));
    int count = 0;
    while (absent.next() >= 0) {
      count++;
    }
    assertThat(count).isEqualTo(2001);
  }

  private static List<Outcome> plain(List<Expression> matches, boolean[] included, Attributes bag) {
    List<Outcome> out = new ArrayList<>();
    for (int i = 0; i < matches.size(); i++) {
      out.add(included[i] ? evaluate(matches.get(i), bag) : Outcome.NO);
    }
    return out;
  }

  private static List<Outcome> indexed(RuleIndex index, List<Expression> matches, Attributes bag) {
    List<Outcome> out = new ArrayList<>();
    for (int i = 0; i < matches.size(); i++) {
      out.add(Outcome.NO);
    }
    RuleIndex.Cursor c = index.cursor(bag);
    int last = -1;
    for (int i = c.next(); i >= 0; i = c.next()) {
      assertThat(i).isGreaterThan(last);
      last = i;
      out.set(i, evaluate(matches.get(i), bag));
    }
    return out;
  }

  private static Outcome evaluate(Expression match, Attributes bag) {
    if (match == null) {
      return Outcome.MATCH;
    }
    try {
      return match.evaluateBoolean(bag) ? Outcome.MATCH : Outcome.NO;
    } catch (EvaluationException e) {
      return Outcome.ERROR;
    }
  }

  private static String value(Random r) {
    return "v" + r.nextInt(6);
  }

  private static String eq(Random r, String attribute) {
    return r.nextBoolean()
        ? attribute + " == \"" + value(r) + "\""
        : "\"" + value(r) + "\" == " + attribute;
  }

  private static String other(Random r) {
    return switch (r.nextInt(6)) {
      case 0 -> "request.size > " + r.nextInt(5);
      case 1 -> "request.headers[\"x-user\"] == \"" + value(r) + "\"";
      case 2 -> STRINGS[r.nextInt(STRINGS.length)] + " != \"" + value(r) + "\"";
      case 3 -> "destination.dns == dnsName(\"a.b\")";
      case 4 -> "(" + STRINGS[r.nextInt(STRINGS.length)] + " | \"v1\") == \"v1\"";
      default -> "true";
    };
  }

  /** A rule's match; null: none. Mostly indexable shapes, some that must not be indexed. */
  private static String randomMatch(Random r) {
    String a = STRINGS[r.nextInt(2)]; // most rules lead on the host or the name
    if (r.nextInt(8) == 0) {
      a = STRINGS[r.nextInt(STRINGS.length)];
    }
    return switch (r.nextInt(10)) {
      case 0 -> null;
      case 1, 2 -> eq(r, a);
      case 3 -> eq(r, a) + " && " + other(r);
      case 4 -> eq(r, a) + " || " + eq(r, a) + " || " + eq(r, a);
      case 5 -> "(" + eq(r, a) + " && " + other(r) + ") || (" + eq(r, a) + " && " + other(r) + ")";
      case 6 -> other(r) + " && " + eq(r, a);
      case 7 -> eq(r, a) + " || " + eq(r, STRINGS[r.nextInt(STRINGS.length)]);
      case 8 -> "(" + eq(r, a) + " || " + eq(r, a) + ") && " + other(r) + " && " + other(r);
      default -> other(r);
    };
  }

  private static Attributes randomRequest(Random r) {
    Map<String, Object> m = new HashMap<>();
    for (String s : STRINGS) {
      switch (r.nextInt(8)) {
        case 0 -> {} // absent
        case 1 -> m.put(s, 7L); // wrong class: the match fails, as without the index
        default -> m.put(s, value(r));
      }
    }
    if (r.nextBoolean()) {
      m.put("request.size", (long) r.nextInt(6));
    }
    if (r.nextBoolean()) {
      m.put("destination.dns", "a.b");
    }
    if (r.nextBoolean()) {
      m.put("request.headers", StringMap.of(Map.of("x-user", value(r))));
    }
    return MapAttributes.of(m);
  }
}
