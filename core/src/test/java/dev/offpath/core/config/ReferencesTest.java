package dev.offpath.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.config.References.Active;
import dev.offpath.core.config.References.Ambiguous;
import dev.offpath.core.config.References.Found;
import dev.offpath.core.config.References.Key;
import dev.offpath.core.config.References.NotFound;
import dev.offpath.core.config.References.Resolution;
import org.junit.jupiter.api.Test;

class ReferencesTest {

  private final References<String> handlers = new References<>("handler");

  private void add(String name, String kind, String namespace) {
    Key key = handlers.key(name, kind, namespace);
    handlers.put(key, new Active<>(key.fqn(), new Source("test.yaml", 1)));
  }

  private String resolve(String ref, String namespace) {
    Resolution<String> r = handlers.resolve(ref, namespace);
    return switch (r) {
      case Found<String> f -> f.key().fqn();
      case NotFound<String> n -> "not found: " + n.expected();
      case Ambiguous<String> a -> "ambiguous: " + a.candidates();
    };
  }

  @Test
  void genericObjectsAreNamedWithoutKindAndPerKindObjectsWithIt() {
    assertThat(handlers.key("deny", "handler", "ns").fqn()).isEqualTo("deny.ns");
    assertThat(handlers.key("deny", "denier", "ns").fqn()).isEqualTo("deny.denier.ns");
  }

  @Test
  void bareNameResolvesInTheRulesNamespace() {
    add("deny", "handler", "istio-system");
    add("deny", "handler", "other");
    assertThat(resolve("deny", "istio-system")).isEqualTo("deny.istio-system");
    assertThat(resolve("deny", "other")).isEqualTo("deny.other");
    assertThat(resolve("deny", "default")).isEqualTo("not found: 'deny' in namespace default");
  }

  @Test
  void bareNameFindsTheOnlyPerKindObjectAndPrefersTheGenericOne() {
    add("h", "denier", "ns");
    assertThat(resolve("h", "ns")).isEqualTo("h.denier.ns");
    add("h", "memquota", "ns");
    assertThat(resolve("h", "ns")).isEqualTo("ambiguous: [h.denier.ns, h.memquota.ns]");
    add("h", "handler", "ns");
    assertThat(resolve("h", "ns")).isEqualTo("h.ns");
  }

  @Test
  void kindQualifiedAndNamespaceQualifiedNamesFindTheSameObject() {
    add("deny", "denier", "istio-system");
    assertThat(resolve("deny.denier", "istio-system")).isEqualTo("deny.denier.istio-system");
    assertThat(resolve("deny.denier.istio-system", "default"))
        .isEqualTo("deny.denier.istio-system");
    assertThat(resolve("deny.istio-system", "default")).isEqualTo("deny.denier.istio-system");
    assertThat(resolve("deny.denier", "default"))
        .isEqualTo(
            "not found: 'deny' of kind denier in namespace default, or 'deny' in namespace denier");
  }

  @Test
  void genericObjectsResolveByNamespaceOrByKindWordHandler() {
    add("list", "handler", "istio-system");
    assertThat(resolve("list.istio-system", "default")).isEqualTo("list.istio-system");
    assertThat(resolve("list.handler.istio-system", "default")).isEqualTo("list.istio-system");
    assertThat(resolve("list.handler", "istio-system")).isEqualTo("list.istio-system");
  }

  @Test
  void tooManyDotsIsNotFound() {
    add("a", "denier", "ns");
    assertThat(resolve("a.denier.ns.extra", "ns"))
        .isEqualTo("not found: a name of the form name, name.namespace or name.kind.namespace");
  }
}
