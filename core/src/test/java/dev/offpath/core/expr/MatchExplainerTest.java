package dev.offpath.core.expr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offpath.core.attribute.AttributeJson;
import dev.offpath.core.attribute.AttributeManifest;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.Vocabulary;
import org.junit.jupiter.api.Test;

/** Which sub-expression {@link MatchExplainer} blames, and how it prints it. */
class MatchExplainerTest {

  private final AttributeManifest manifest = Vocabulary.builtin();

  private MatchExplainer.Failure explain(String expr, String attrs) throws Exception {
    Attributes a = AttributeJson.parse(attrs, manifest);
    return MatchExplainer.explain(ExpressionCompiler.compile(expr, manifest), manifest, a);
  }

  @Test
  void aHoldingExpressionHasNoFailure() throws Exception {
    assertThat(explain("request.path == \"/a\"", "{\"request.path\": \"/a\"}")).isNull();
  }

  @Test
  void theFirstFalseConjunctIsBlamedRecursively() throws Exception {
    MatchExplainer.Failure f =
        explain(
            "request.path.startsWith(\"/admin\") && (request.headers[\"x-internal\"] | \"\") != \"true\""
                + " && request.method == \"GET\"",
            "{\"request.path\": \"/admin/x\", \"request.method\": \"POST\", \"request.headers\": {}}");
    assertThat(f.expression()).isEqualTo("request.method == \"GET\"");
    assertThat(f.error()).isNull();
  }

  @Test
  void aDisjunctionANegationAndAnErrorAreBlamedWhole() throws Exception {
    MatchExplainer.Failure or =
        explain("request.path == \"/a\" || request.path == \"/b\"", "{\"request.path\": \"/c\"}");
    assertThat(or.expression()).isEqualTo("request.path == \"/a\" || request.path == \"/b\"");

    MatchExplainer.Failure not = explain("!(request.path == \"/c\")", "{\"request.path\": \"/c\"}");
    assertThat(not.expression()).isEqualTo("!(request.path == \"/c\")");

    MatchExplainer.Failure missing =
        explain("request.path == \"/a\" && source.ip == ip(\"10.0.0.1\")", "{\"request.path\": \"/a\"}");
    assertThat(missing.expression()).isEqualTo("source.ip == ip(\"10.0.0.1\")");
    assertThat(missing.error()).contains("source.ip");
  }

  @Test
  void indexingAndMethodsPrintInSourceSyntax() throws Exception {
    MatchExplainer.Failure f =
        explain(
            "request.headers[\"x-user\"].startsWith(\"adm\")",
            "{\"request.headers\": {\"x-user\": \"bob\"}}");
    assertThat(f.expression()).isEqualTo("request.headers[\"x-user\"].startsWith(\"adm\")");
  }

  @Test
  void aNonBooleanExpressionIsRefused() throws Exception {
    Expression e = ExpressionCompiler.compile("request.path", manifest);
    assertThatThrownBy(() -> MatchExplainer.explain(e, manifest, Attributes.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expression 'request.path' is STRING (expected: BOOL)");
  }
}
