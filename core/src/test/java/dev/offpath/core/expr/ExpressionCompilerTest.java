package dev.offpath.core.expr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.IpAddress;
import dev.offpath.core.attribute.MapAttributes;
import dev.offpath.core.attribute.ReferencedAttributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.TrackingAttributes;
import dev.offpath.core.attribute.ValueType;
import dev.offpath.core.attribute.Vocabulary;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class ExpressionCompilerTest {

  private static final AttributeManifest M = Vocabulary.builtin();

  private static final Attributes BAG =
      MapAttributes.builder()
          .put("request.path", "/api/v1/users")
          .put("request.method", "GET")
          .put("request.size", 120L)
          .put("request.headers", StringMap.of(Map.of("x-user", "alice", "user-agent", "curl/7.1")))
          .put("request.time", Instant.parse("2015-01-02T15:04:35Z"))
          .put("response.duration", Duration.ofMillis(20))
          .put("source.ip", IpAddress.parse("10.0.0.1"))
          .put("source.labels", StringMap.of(Map.of("app", "reviews")))
          .put("connection.mtls", true)
          .put("destination.service.host", "reviews.default.svc.cluster.local")
          .build();

  private static Object eval(String expr) throws Exception {
    return ExpressionCompiler.compile(expr, M).evaluate(BAG);
  }

  private static Object eval(String expr, Attributes bag) throws Exception {
    return ExpressionCompiler.compile(expr, M).evaluate(bag);
  }

  private static void compileError(String expr, String message) {
    assertThatThrownBy(() -> ExpressionCompiler.compile(expr, M))
        .isInstanceOf(ExpressionException.class)
        .hasMessage(message);
  }

  private static void runtimeError(String expr, String message) {
    assertThatThrownBy(() -> eval(expr)).isInstanceOf(EvaluationException.class).hasMessage(message);
  }

  private static ReferencedAttributes referenced(String expr, Attributes bag) throws Exception {
    ReferencedAttributes refs = new ReferencedAttributes();
    ExpressionCompiler.compile(expr, M).evaluate(new TrackingAttributes(bag, refs));
    return refs;
  }

  @Nested
  class Syntax {
    @Test
    void literals() throws Exception {
      assertThat(eval("\"a\\tb\\x41\\u00e9\\101\"")).isEqualTo("a\tbAéA");
      assertThat(eval("`raw\\n`")).isEqualTo("raw\\n");
      assertThat(eval("'x'")).isEqualTo("x");
      assertThat(eval("42")).isEqualTo(42L);
      assertThat(eval("-42")).isEqualTo(-42L);
      assertThat(eval("-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
      assertThat(eval("4.5e1")).isEqualTo(45.0);
      assertThat(eval(".5")).isEqualTo(0.5);
      assertThat(eval("TRUE")).isEqualTo(true);
      assertThat(eval("False")).isEqualTo(false);
    }

    @Test
    void durationTextIsDurationAsInMixerAndStillAString() throws Exception {
      Expression d = ExpressionCompiler.compile("\"1.5s\"", M);
      assertThat(d.type()).isEqualTo(ValueType.DURATION);
      assertThat(d.evaluate(BAG)).isEqualTo(Duration.ofMillis(1500));
      assertThat(eval("response.duration | \"0ms\"")).isEqualTo(Duration.ofMillis(20));
      assertThat(eval("request.headers[\"x-retries\"] == \"0\"")).isEqualTo(false);
      assertThat(eval("\"10s\" == request.path")).isEqualTo(false);
      assertThat(eval("toLower(\"10S\")")).isEqualTo("10s");
      assertThat(eval("\"10s\".startsWith(\"1\")")).isEqualTo(true);
    }

    @Test
    void precedenceFollowsGo() throws Exception {
      assertThat(eval("true || false && false")).isEqualTo(true);
      assertThat(eval("(true || false) && false")).isEqualTo(false);
      assertThat(eval("1 + 2 == 3 && \"a\" < \"b\"")).isEqualTo(true);
      // | and + share a level, left-associative: (x | "a") + "b"
      assertThat(eval("source.user | \"a\" + \"b\"")).isEqualTo("ab");
      assertThat(eval("\"p\" + (source.user | \"a\")")).isEqualTo("pa");
    }

    @Test
    void whitespaceAndNewlines() throws Exception {
      assertThat(eval("request.method == \"GET\" &&\n  connection.mtls")).isEqualTo(true);
    }

    @Test
    void parseErrorsAsGoReportsThem() {
      compileError("a = 2", "unable to parse expression 'a = 2': 1:3: expected '==', found '='");
      compileError("@23", "unable to parse expression '@23': 1:1: illegal character U+0040 '@'");
      compileError("", "unable to parse expression '': 1:1: expected operand, found 'EOF'");
      compileError("(true", "unable to parse expression '(true': 1:6: expected ')', found 'EOF'");
      compileError("true true", "unable to parse expression 'true true': 1:6: expected 'EOF', found true");
      compileError("\"abc", "unable to parse expression '\"abc': 1:1: string literal not terminated");
      compileError("\"\\q\"", "unable to parse expression '\"\\q\"': 1:2: unknown escape sequence");
      compileError("a.", "unable to parse expression 'a.': 1:3: expected selector or type assertion, found 'EOF'");
      compileError("0x10 == 16", "strconv.ParseInt: parsing \"0x10\": invalid syntax");
      compileError("99999999999999999999", "strconv.ParseInt: parsing \"99999999999999999999\": value out of range");
    }

    @Test
    void unsupportedOperatorsAreUnknownFunctions() {
      compileError("request.size * 2", "unknown function: MUL");
      compileError("request.size - 2", "unknown function: SUB");
      compileError("request.size % 2", "unknown function: REM");
      compileError("+request.path", "ADD($request.path) arity mismatch. Got 1 arg(s), expected 2 arg(s)");
    }

    @Test
    void nestingIsCapped() throws Exception {
      String ok = "(".repeat(50) + "true" + ")".repeat(50);
      assertThat(eval(ok)).isEqualTo(true);
      String deep = "(".repeat(101) + "true" + ")".repeat(101);
      assertThatThrownBy(() -> ExpressionCompiler.compile(deep, M))
          .isInstanceOf(ExpressionException.class)
          .hasMessageStartingWith("expression nesting exceeds the maximum depth of 100");
      String notNot = "!".repeat(150) + "true";
      assertThatThrownBy(() -> ExpressionCompiler.compile(notNot, M))
          .hasMessageStartingWith("expression nesting exceeds the maximum depth of 100");
      String longChain = "true" + " || true".repeat(1001);
      assertThatThrownBy(() -> ExpressionCompiler.compile(longChain, M))
          .hasMessageStartingWith("expression has more than 1000 operators");
      assertThat(eval("false" + " || false".repeat(999) + " || true")).isEqualTo(true);
    }

    @Test
    void theLongestChainIsCheckedEvenFromAThreadWithATinyStack() throws Exception {
      String chain = "false" + " || false".repeat(999) + " || true";
      Object[] result = new Object[1];
      Thread t =
          new Thread(
              null,
              () -> {
                try {
                  result[0] = ExpressionCompiler.compile(chain, M).type();
                } catch (Throwable e) {
                  result[0] = e;
                }
              },
              "tiny-stack",
              64 * 1024);
      t.start();
      t.join();
      assertThat(result[0]).isEqualTo(ValueType.BOOL);
    }
  }

  @Nested
  class Operators {
    @Test
    void equalityPerType() throws Exception {
      assertThat(eval("request.method == \"GET\"")).isEqualTo(true);
      assertThat(eval("\"GET\" != request.method")).isEqualTo(false);
      assertThat(eval("request.size == 120")).isEqualTo(true);
      assertThat(eval("1.5 == 1.5")).isEqualTo(true);
      assertThat(eval("connection.mtls == true")).isEqualTo(true);
      assertThat(eval("source.ip == ip(\"::ffff:10.0.0.1\")")).isEqualTo(true);
      assertThat(eval("request.time == timestamp(\"2015-01-02T16:04:35+01:00\")")).isEqualTo(true);
      assertThat(eval("response.duration == \"20ms\"")).isEqualTo(true);
      assertThat(eval("dnsName(\"WWW.Istio.io.\") == dnsName(\"www.istio.io\")")).isEqualTo(true);
      assertThat(eval("email(\"a@ISTIO.io\") == email(\"a@istio.io\")")).isEqualTo(true);
      assertThat(eval("email(\"A@istio.io\") == email(\"a@istio.io\")")).isEqualTo(false);
      assertThat(eval("uri(\"HTTP://Istio.IO:80/p\") == uri(\"http://istio.io:80/p\")")).isEqualTo(true);
      assertThat(eval("uri(\"http://istio.io/P\") == uri(\"http://istio.io/p\")")).isEqualTo(false);
    }

    @Test
    void equalityTypeErrors() {
      compileError("request.size == true", "EQ($request.size, true) arg 2 (true) typeError got BOOL, expected INT64");
      compileError("request.size != \"a\"", "NEQ($request.size, \"a\") arg 2 (\"a\") typeError got STRING, expected INT64");
      compileError(
          "request.headers == source.labels",
          "internal compiler error -- equality for type not yet implemented: interface");
    }

    @Test
    void comparisons() throws Exception {
      assertThat(eval("request.size > 100 && request.size >= 120 && request.size < 121 && request.size <= 120"))
          .isEqualTo(true);
      assertThat(eval("1.5 < 2.5")).isEqualTo(true);
      assertThat(eval("\"abc\" < \"abd\"")).isEqualTo(true);
      assertThat(eval("request.time < timestamp(\"2016-01-01T00:00:00Z\")")).isEqualTo(true);
      assertThat(eval("response.duration > \"10ms\"")).isEqualTo(true);
      compileError("true < false", "internal compiler error -- less than for type not yet implemented: bool");
      compileError("source.ip >= source.ip", "internal compiler error -- greater or equal for type not yet implemented: interface");
      compileError("request.time <= 42", "LEQ($request.time, 42) arg 2 (42) typeError got INT64, expected TIMESTAMP");
    }

    @Test
    void addition() throws Exception {
      assertThat(eval("request.method + \" \" + request.path")).isEqualTo("GET /api/v1/users");
      assertThat(eval("request.size + 1")).isEqualTo(121L);
      assertThat(eval("1.25 + 1.25")).isEqualTo(2.5);
      compileError("true + false", "internal compiler error -- Add for type not yet implemented: bool");
      compileError("response.duration + \"1s\"", "internal compiler error -- Add for type not yet implemented: duration");
      compileError("1 + \"b\"", "ADD(1, \"b\") arg 2 (\"b\") typeError got STRING, expected INT64");
    }

    @Test
    void logicalOperatorsShortCircuit() throws Exception {
      assertThat(eval("connection.mtls || source.user == \"x\"")).isEqualTo(true);
      assertThat(eval("!connection.mtls && source.user == \"x\"")).isEqualTo(false);
      assertThat(eval("!(request.size > 1000)")).isEqualTo(true);
      compileError("request.size || true", "LOR($request.size, true) arg 1 ($request.size) typeError got INT64, expected BOOL");
      compileError("!request.path", "NOT($request.path) arg 1 ($request.path) typeError got STRING, expected BOOL");
    }

    @Test
    void unaryMinus() throws Exception {
      assertThat(eval("-request.size")).isEqualTo(-120L);
      assertThat(eval("-(1.5)")).isEqualTo(-1.5);
      assertThat(eval("-response.duration")).isEqualTo(Duration.ofMillis(-20));
      compileError("-request.path", "SUB($request.path) arg 1 ($request.path) typeError got STRING, expected INT64 or DOUBLE");
    }

    @Test
    void defaultOperatorTakesTheFirstPresentOperand() throws Exception {
      assertThat(eval("source.user | request.method | \"x\"")).isEqualTo("GET");
      assertThat(eval("request.size | 0")).isEqualTo(120L);
      assertThat(eval("request.headers[\"nope\"] | request.headers[\"x-user\"]")).isEqualTo("alice");
      assertThat(eval("request.auth.claims[\"sub\"] | \"anonymous\"")).isEqualTo("anonymous");
      assertThat(eval("(request.auth.claims | source.labels)[\"app\"]")).isEqualTo("reviews");
      Attributes zero = MapAttributes.of(Map.of("request.size", 0L, "request.path", ""));
      assertThat(eval("request.size | 7", zero)).as("present zero counts as present").isEqualTo(0L);
      assertThat(eval("request.path | \"/\"", zero)).isEqualTo("");
      compileError("request.path | 1", "OR($request.path, 1) arg 2 (1) typeError got INT64, expected STRING");
    }

    @Test
    void indexing() throws Exception {
      assertThat(eval("request.headers[\"x-user\"]")).isEqualTo("alice");
      assertThat(eval("request.headers[\"missing\"]")).as("a missing key reads as empty").isEqualTo("");
      assertThat(eval("request.headers[toLower(\"X-USER\")]")).isEqualTo("alice");
      compileError("request.path[\"a\"]", "INDEX($request.path, \"a\") arg 1 ($request.path) typeError got STRING, expected STRING_MAP");
      compileError("request.headers[1]", "INDEX($request.headers, 1) arg 2 (1) typeError got INT64, expected STRING");
    }
  }

  @Nested
  class Functions {
    @Test
    void match() throws Exception {
      assertThat(eval("match(request.path, \"/api/*\")")).isEqualTo(true);
      assertThat(eval("match(destination.service.host, \"*.svc.cluster.local\")")).isEqualTo(true);
      assertThat(eval("match(request.path, \"/api\")")).isEqualTo(false);
      assertThat(eval("match(request.path, \"/api/v1/users\")")).isEqualTo(true);
      assertThat(eval("match(request.path, request.method + \"*\")")).isEqualTo(false);
      compileError("match(request.path)", "match($request.path) arity mismatch. Got 1 arg(s), expected 2 arg(s)");
    }

    @Test
    void matchesUsesTheReceiverAsRe2Regex() throws Exception {
      assertThat(eval("\"^/api/v[0-9]+/\".matches(request.path)")).isEqualTo(true);
      assertThat(eval("\"users\".matches(request.path)")).as("unanchored, as Go's MatchString").isEqualTo(true);
      assertThat(eval("\"(a+)+$\".matches(\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\")")).isEqualTo(false);
      compileError("\"(\".matches(request.path)", "\"(\":matches($request.path): error parsing regexp: missing closing ): `(`");
      Attributes badRegex = MapAttributes.of(Map.of("request.path", "/", "request.method", "("));
      assertThatThrownBy(() -> eval("request.method.matches(request.path)", badRegex))
          .isInstanceOf(EvaluationException.class)
          .hasMessage("error parsing regexp: missing closing ): `(`");
      compileError("matches(request.path)", "invoking instance method without an instance: matches");
      compileError("request.size.matches(\"a\")", "$request.size:matches(\"a\") target typeError got INT64, expected STRING");
    }

    @Test
    void startsWithEndsWith() throws Exception {
      assertThat(eval("request.path.startsWith(\"/api\")")).isEqualTo(true);
      assertThat(eval("request.path.endsWith(\"users\")")).isEqualTo(true);
      assertThat(eval("request.headers[\"user-agent\"].startsWith(\"curl/\")")).isEqualTo(true);
      compileError("toLower.startsWith(\"a\")", "unknown attribute toLower");
      compileError("request.path.toLower()", "invoking regular function on instance method: toLower");
    }

    @Test
    void conversions() throws Exception {
      assertThat(eval("ip(\"10.0.0.1\")")).isEqualTo(IpAddress.parse("10.0.0.1"));
      assertThat(eval("timestamp(\"2015-01-02T15:04:35Z\")")).isEqualTo(Instant.parse("2015-01-02T15:04:35Z"));
      assertThat(eval("dnsName(\"istio.io\")")).isEqualTo("istio.io");
      assertThat(eval("email(\"a@istio.io\")")).isEqualTo("a@istio.io");
      assertThat(eval("uri(\"http://istio.io/a?b#c\")")).isEqualTo("http://istio.io/a?b#c");
      runtimeError("ip(\"10.1.12\")", "could not convert 10.1.12 to IP_ADDRESS");
      runtimeError(
          "timestamp(\"2015-01-02\")",
          "could not convert '2015-01-02' to TIMESTAMP. expected format: '2006-01-02T15:04:05Z07:00'");
      runtimeError("dnsName(\"a..b\")", "error converting 'a..b' to dns name: 'idna: invalid label \"a..b\"'");
      runtimeError("dnsName(\"a_b.io\")", "error converting 'a_b.io' to dns name: 'idna: disallowed rune U+005F'");
      runtimeError("email(\"Joe <joe@istio.io>\")", "error converting 'Joe <joe@istio.io>' to e-mail: display names are not allowed");
      runtimeError("email(\"joe@\")", "error converting 'joe@' to e-mail: 'mail: no angle-addr'");
      runtimeError("uri(\"http://a b\")", "error converting string to uri 'http://a b': 'parse http://a b: invalid character \" \" in host name'");
      runtimeError("uri(\"http://a:x\")", "error converting string to uri 'http://a:x': 'parse http://a:x: invalid port \":x\" after host'");
      compileError("ip(1)", "ip(1) arg 1 (1) typeError got INT64, expected STRING");
    }

    @Test
    void conditionalEvaluatesOnlyTheChosenBranch() throws Exception {
      assertThat(eval("conditional(connection.mtls, \"mtls\", source.user)")).isEqualTo("mtls");
      assertThat(eval("conditional(request.size > 1000, 1, 2)")).isEqualTo(2L);
      assertThat(eval("conditionalString(true, \"a\", \"b\")")).isEqualTo("a");
      compileError("conditional(true, 1, \"a\")", "conditional(true, 1, \"a\") arg 3 (\"a\") typeError got STRING, expected INT64");
      compileError("conditional(1, 1, 2)", "conditional(1, 1, 2) arg 1 (1) typeError got INT64, expected BOOL");
    }

    @Test
    void sizeToLowerEmptyStringMap() throws Exception {
      assertThat(eval("size(request.path)")).isEqualTo(13L);
      assertThat(eval("size(\"é\")")).as("UTF-8 bytes, as Go's len").isEqualTo(2L);
      assertThat(eval("size(request.headers)")).isEqualTo(2L);
      assertThat(eval("toLower(request.method)")).isEqualTo("get");
      assertThat(eval("emptyStringMap()")).isEqualTo(StringMap.empty());
      assertThat(eval("request.auth.claims | emptyStringMap()")).isEqualTo(StringMap.empty());
      compileError("size(1)", "size(1) arg 1 (1) typeError got INT64, expected STRING");
      compileError("size(\"a\", \"b\")", "size(\"a\", \"b\") arity mismatch. Got 2 arg(s), expected 1 arg(s)");
      compileError("nope(1)", "unknown function: nope");
    }
  }

  @Nested
  class Errors {
    @Test
    void unknownAttribute() {
      compileError("request.nope == \"a\"", "unknown attribute request.nope");
    }

    @Test
    void missingAttributesFailAtRuntime() {
      runtimeError("source.user == \"a\"", "lookup failed: 'source.user'");
      runtimeError("request.auth.claims[\"sub\"] == \"a\"", "lookup failed: 'request.auth.claims'");
      runtimeError("ip(source.user | request.api_key)", "lookup failed: 'request.api_key'");
    }

    @Test
    void wronglyTypedBagValuesFailWithMixersText() {
      Attributes bad = MapAttributes.of(Map.of("request.path", 20L, "request.size", "x", "connection.mtls", 1L));
      assertThatThrownBy(() -> eval("request.path == \"a\"", bad)).hasMessage("error converting value to string: '20'");
      assertThatThrownBy(() -> eval("request.size == 1", bad)).hasMessage("error converting value to integer or duration: 'x'");
      assertThatThrownBy(() -> eval("connection.mtls", bad)).hasMessage("error converting value to bool: '1'");
    }

    @Test
    void evaluateBooleanRefusesOtherTypes() throws Exception {
      Expression e = ExpressionCompiler.compile("request.path", M);
      assertThatThrownBy(() -> e.evaluateBoolean(BAG))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("expression 'request.path' is STRING, not BOOL");
      assertThat(ExpressionCompiler.compile("request.size > 1", M).evaluateBoolean(BAG)).isTrue();
    }
  }

  @Nested
  class Referenced {
    @Test
    void mapKeyReadRecordsTheMapAndTheKey() throws Exception {
      assertThat(referenced("request.headers[\"x-user\"] == \"a\"", BAG).describe())
          .containsExactly("request.headers", "request.headers[x-user]");
      assertThat(referenced("request.headers[\"x-other\"] == \"a\"", BAG).describe())
          .containsExactly("-request.headers[x-other]", "request.headers");
    }

    @Test
    void absentMapIsRecordedAbsent() {
      ReferencedAttributes refs = new ReferencedAttributes();
      assertThatThrownBy(
              () ->
                  ExpressionCompiler.compile("request.headers[\"x-user\"] == \"a\"", M)
                      .evaluate(new TrackingAttributes(Attributes.empty(), refs)))
          .isInstanceOf(EvaluationException.class);
      assertThat(refs.describe()).containsExactly("-request.headers");
    }

    @Test
    void shortCircuitReadsOnlyWhatDecides() throws Exception {
      assertThat(referenced("connection.mtls || request.path == \"/\"", BAG).describe())
          .containsExactly("connection.mtls");
      assertThat(referenced("source.user | request.method", BAG).describe())
          .containsExactly("-source.user", "request.method");
      assertThat(referenced("conditional(connection.mtls, request.method, request.path)", BAG).describe())
          .containsExactly("connection.mtls", "request.method");
    }

    @Test
    void sizeOfAMapReadsTheWholeMap() throws Exception {
      ReferencedAttributes refs = referenced("size(request.headers) > 1", BAG);
      assertThat(refs.attributes().get("request.headers").condition())
          .isEqualTo(ReferencedAttributes.Condition.EXACT);
      assertThat(refs.mapKeys()).isEmpty();
    }

    @Test
    void constantsReadNothing() throws Exception {
      assertThat(referenced("ip(\"1.2.3.4\") == ip(\"1.2.3.4\") && \"a\" + \"b\" == \"ab\"", BAG).isEmpty()).isTrue();
    }
  }
}
