package dev.offpath.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.config.References.Active;
import dev.offpath.core.config.References.Ambiguous;
import dev.offpath.core.config.References.Found;
import dev.offpath.core.config.References.Key;
import dev.offpath.core.config.References.NotFound;
import dev.offpath.core.config.References.Resolution;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReferencesTest {

  private final References<String> handlers = new References<>("handler");

  private void add(String name, String kind, String namespace) {
    Key key = handlers.key(name, kind, namespace);
    handlers.put(key, new Active<>(key.fqn(), new Source("test.yaml", 1)));
  }

  private String resolve(String ref, String namespace) {
    return describe(handlers.resolve(ref, namespace));
  }

  private static String describe(Resolution<String> r) {
    return switch (r) {
      case Found<String> f -> f.key().fqn();
      case NotFound<String> n -> "not found: " + n.expected();
      case Ambiguous<String> a -> "ambiguous: " + a.candidates();
    };
  }

  @Test
  void everyObjectIsNamedWithItsKindTheGenericOnesWithKindHandler() {
    assertThat(handlers.key("deny", "handler", "ns").fqn()).isEqualTo("deny.handler.ns");
    assertThat(handlers.key("deny", "denier", "ns").fqn()).isEqualTo("deny.denier.ns");
  }

  @Test
  void bareNameResolvesInTheRulesNamespace() {
    add("deny", "handler", "istio-system");
    add("deny", "handler", "other");
    assertThat(resolve("deny", "istio-system")).isEqualTo("deny.handler.istio-system");
    assertThat(resolve("deny", "other")).isEqualTo("deny.handler.other");
    assertThat(resolve("deny", "default")).isEqualTo("not found: 'deny' in namespace default");
  }

  @Test
  void bareNameFindsTheOnlyPerKindObjectAndPrefersTheGenericOne() {
    add("h", "denier", "ns");
    assertThat(resolve("h", "ns")).isEqualTo("h.denier.ns");
    add("h", "memquota", "ns");
    assertThat(resolve("h", "ns")).isEqualTo("ambiguous: [h.denier.ns, h.memquota.ns]");
    add("h", "handler", "ns");
    assertThat(resolve("h", "ns")).isEqualTo("h.handler.ns");
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
    assertThat(resolve("list.istio-system", "default")).isEqualTo("list.handler.istio-system");
    assertThat(resolve("list.handler.istio-system", "default"))
        .isEqualTo("list.handler.istio-system");
    assertThat(resolve("list.handler", "istio-system")).isEqualTo("list.handler.istio-system");
    assertThat(resolve("list.handler", "default"))
        .isEqualTo(
            "not found: 'list' of kind handler in namespace default, or 'list' in namespace"
                + " handler");
  }

  @Test
  void genericInstancesResolveByNamespaceOrByKindWordInstance() {
    References<String> instances = new References<>("instance");
    Key key = instances.key("nothing", "instance", "istio-system");
    instances.put(key, new Active<>(key.fqn(), new Source("test.yaml", 1)));
    for (String ref : List.of("nothing", "nothing.instance")) {
      assertThat(describe(instances.resolve(ref, "istio-system")))
          .as(ref)
          .isEqualTo("nothing.instance.istio-system");
    }
    for (String ref : List.of("nothing.istio-system", "nothing.instance.istio-system")) {
      assertThat(describe(instances.resolve(ref, "default")))
          .as(ref)
          .isEqualTo("nothing.instance.istio-system");
    }
    assertThat(describe(instances.resolve("nothing.handler", "istio-system")))
        .isEqualTo(
            "not found: 'nothing' of kind handler in namespace istio-system, or 'nothing' in"
                + " namespace handler");
  }

  @Test
  void tooManyDotsIsNotFound() {
    add("a", "denier", "ns");
    assertThat(resolve("a.denier.ns.extra", "ns"))
        .isEqualTo("not found: a name of the form name, name.namespace or name.kind.namespace");
  }
}
