package dev.offpath.adapters.rbac;

import static dev.offpath.adapters.rbac.RbacTestData.fields;
import static dev.offpath.adapters.rbac.RbacTestData.instance;
import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.adapter.Instance;
import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.attribute.MapAttributes;
import dev.offpath.core.attribute.ReferencedAttributes;
import dev.offpath.core.attribute.StringMap;
import dev.offpath.core.attribute.TrackingAttributes;
import dev.offpath.core.rbac.RbacPolicy;
import dev.offpath.core.rbac.RbacScope;
import dev.offpath.core.rbac.RbacScope.Mode;
import dev.offpath.core.rbac.Spelling;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** The store beyond Mixer's own table: empty fields, both spellings, recorded reads, scopes, index. */
class RbacStoreTest {

  private static RbacStore store(String yaml, Spelling spelling) {
    return store(yaml, spelling, RbacScope.ALWAYS);
  }

  private static RbacStore store(String yaml, Spelling spelling, RbacScope scope) {
    List<Map<String, Object>> roles = new Yaml().load(yaml);
    return RbacStore.compile(new RbacPolicy(RbacTestData.roles(roles, "default", spelling), scope));
  }

  private static Instance request(String service, String method, String path) {
    return instance(
        fields(
            "action.namespace", "default",
            "action.service", service,
            "action.method", method,
            "action.path", path));
  }

  private static boolean allowed(RbacStore s, Instance i) {
    return s.check(i, Attributes.empty()).allowed();
  }

  @Test
  void missingOrEmptyActionFieldsDeny() {
    RbacStore s =
        store(
            "- {name: all, rules: [{services: ['*'], methods: ['*']}],"
                + " bindings: [{name: b, subjects: [{user: '*'}]}]}",
            Spelling.MIXER);
    assertThat(allowed(s, request("a", "GET", "/"))).isTrue();
    assertThat(s.check(request("a", "GET", ""), Attributes.empty()))
        .isEqualTo(RbacStore.MISSING_PATH);
    assertThat(s.check(request("a", "", "/"), Attributes.empty()))
        .isEqualTo(RbacStore.MISSING_METHOD);
    assertThat(s.check(request("", "GET", "/"), Attributes.empty()))
        .isEqualTo(RbacStore.MISSING_SERVICE);
    assertThat(s.check(instance(fields("action.service", "a")), Attributes.empty()))
        .isEqualTo(RbacStore.MISSING_NAMESPACE);
    Instance otherNamespace =
        instance(
            fields(
                "action.namespace", "prod",
                "action.service", "a",
                "action.method", "GET",
                "action.path", "/"));
    assertThat(s.check(otherNamespace, Attributes.empty())).isEqualTo(RbacStore.NO_MATCH);
  }

  @Test
  void emptyRuleAndSubjectFieldsMeanWhatTheyMeantToMixer() {
    RbacStore noMethods =
        store(
            "- {name: r, rules: [{services: ['*']}], bindings: [{name: b, subjects: [{user: '*'}]}]}",
            Spelling.MIXER);
    assertThat(allowed(noMethods, request("a", "GET", "/"))).isFalse();
    assertThat(noMethods.roleCount()).isEqualTo(1);

    RbacStore noServices =
        store(
            "- {name: r, rules: [{methods: ['*']}], bindings: [{name: b, subjects: [{user: '*'}]}]}",
            Spelling.MIXER);
    assertThat(allowed(noServices, request("a", "GET", "/"))).isFalse();

    RbacStore noPaths =
        store(
            "- {name: r, rules: [{services: [a], methods: [GET]}],"
                + " bindings: [{name: b, subjects: [{user: '*'}]}]}",
            Spelling.MIXER);
    assertThat(allowed(noPaths, request("a", "GET", "/any/thing"))).isTrue();

    RbacStore emptySubject =
        store(
            "- {name: r, rules: [{services: [a], methods: [GET]}],"
                + " bindings: [{name: b, subjects: [{}]}]}",
            Spelling.MIXER);
    assertThat(allowed(emptySubject, request("a", "GET", "/"))).isFalse();
  }

  @Test
  void patternsArePrefixSuffixOrStar() {
    RbacStore s =
        store(
            "- {name: r, rules: [{services: ['*.svc.cluster.local', 'book*'], paths: ['/api/*',"
                + " '*/health'], methods: [GET, 'P*']}], bindings: [{name: b, subjects: [{user:"
                + " '*'}]}]}",
            Spelling.MIXER);
    assertThat(allowed(s, request("ratings.default.svc.cluster.local", "GET", "/api/v1"))).isTrue();
    assertThat(allowed(s, request("bookstore", "PUT", "/x/health"))).isTrue();
    assertThat(allowed(s, request("bookstore", "POST", "/api/"))).isTrue();
    assertThat(allowed(s, request("ratings.default.svc", "GET", "/api/v1"))).isFalse();
    assertThat(allowed(s, request("bookstore", "DELETE", "/api/v1"))).isFalse();
    assertThat(allowed(s, request("bookstore", "GET", "/apis"))).isFalse();
    assertThat(allowed(s, request("abook", "GET", "/api/v1"))).isFalse();
  }

  @Test
  void nonStringPropertyNeverMatches() {
    RbacStore s =
        store(
            "- {name: r, rules: [{services: [a], methods: [GET], constraints: [{key: port, values:"
                + " ['80']}]}], bindings: [{name: b, subjects: [{user: '*'}]}]}",
            Spelling.MIXER);
    Map<String, Object> f = fields("action.namespace", "default", "action.service", "a",
        "action.method", "GET", "action.path", "/", "action.properties.port", 80L);
    assertThat(allowed(s, instance(f))).isFalse();
    f.put("action.properties.port", "80");
    assertThat(allowed(s, instance(f))).isTrue();
  }

  private static final String ATTRIBUTE_POLICY =
      """
      - name: service-viewer
        rules:
        - services: ["*"]
          methods: [GET]
          constraints:
          - {key: "destination.labels[app]", values: [productpage, details, reviews, ratings]}
        bindings:
        - name: bind-service-viewer
          subjects:
          - properties: {source.namespace: istio-system}
          - properties: {source.namespace: default}
      - name: admin
        rules:
        - services: [admin]
          methods: ["*"]
          constraints:
          - {key: "request.headers[x-admin-token]", values: [s3cret]}
        bindings:
        - name: bind-admin
          subjects:
          - user: cluster.local/ns/ops/sa/admin
      """;

  @Test
  void attributeSpellingReadsRequestAttributesAndRecordsOnlyWhatItReads() {
    RbacStore s = store(ATTRIBUTE_POLICY, Spelling.ATTRIBUTES);
    Attributes bag =
        MapAttributes.of(
            Map.of(
                "destination.labels", StringMap.of(Map.of("app", "reviews", "version", "v2")),
                "source.namespace", "default",
                "source.principal", "cluster.local/ns/default/sa/bookinfo-productpage",
                "request.headers", StringMap.of(Map.of("x-admin-token", "s3cret", "x-user", "u"))));
    ReferencedAttributes read = new ReferencedAttributes();
    assertThat(s.check(request("reviews", "GET", "/"), new TrackingAttributes(bag, read)).allowed())
        .isTrue();
    // The admin role lists another service: its header key is never read; the first subject's
    // namespace is read, then the second's matches.
    assertThat(read.describe())
        .containsExactly("destination.labels", "destination.labels[app]", "source.namespace");

    read.clear();
    assertThat(s.check(request("reviews", "POST", "/"), new TrackingAttributes(bag, read)).allowed())
        .isFalse();
    assertThat(read.describe()).isEmpty();

    read.clear();
    assertThat(s.check(request("admin", "DELETE", "/"), new TrackingAttributes(bag, read)).allowed())
        .isFalse(); // token right, principal wrong; service-viewer fails on the method, unread
    assertThat(read.describe())
        .containsExactly(
            "request.headers",
            "request.headers[x-admin-token]",
            "source.principal");

    Attributes admin =
        MapAttributes.of(
            Map.of(
                "source.principal", "cluster.local/ns/ops/sa/admin",
                "request.headers", StringMap.of(Map.of("x-admin-token", "s3cret"))));
    assertThat(allowedWith(s, request("admin", "DELETE", "/"), admin)).isTrue();
    Attributes wrongToken =
        MapAttributes.of(
            Map.of(
                "source.principal", "cluster.local/ns/ops/sa/admin",
                "request.headers", StringMap.of(Map.of("x-admin-token", "guess"))));
    assertThat(allowedWith(s, request("admin", "DELETE", "/"), wrongToken)).isFalse();
  }

  @Test
  void sourceNamespaceFallsBackToThePrincipalsNamespace() {
    RbacStore s = store(ATTRIBUTE_POLICY, Spelling.ATTRIBUTES);
    Attributes fromPrincipal =
        MapAttributes.of(
            Map.of(
                "destination.labels", StringMap.of(Map.of("app", "ratings")),
                "source.principal", "spiffe://cluster.local/ns/istio-system/sa/ingress"));
    ReferencedAttributes read = new ReferencedAttributes();
    assertThat(
            s.check(request("ratings", "GET", "/"), new TrackingAttributes(fromPrincipal, read))
                .allowed())
        .isTrue();
    assertThat(read.describe())
        .containsExactly(
            "-source.namespace", "destination.labels", "destination.labels[app]",
            "source.principal");
    Attributes otherNamespace =
        MapAttributes.of(
            Map.of(
                "destination.labels", StringMap.of(Map.of("app", "ratings")),
                "source.principal", "cluster.local/ns/prod/sa/x"));
    assertThat(allowedWith(s, request("ratings", "GET", "/"), otherNamespace)).isFalse();
    assertThat(RbacStore.namespaceOf("cluster.local/ns/default/sa/a")).isEqualTo("default");
    assertThat(RbacStore.namespaceOf("cluster.local/ns/default")).isEqualTo("default");
    assertThat(RbacStore.namespaceOf("alice")).isNull();
    assertThat(RbacStore.namespaceOf("cluster.local/ns//sa/a")).isNull();
  }

  private static boolean allowedWith(RbacStore s, Instance i, Attributes a) {
    return s.check(i, a).allowed();
  }

  @Test
  void mixerSpellingIgnoresAttributesAndAttributeSpellingIgnoresInstanceProperties() {
    String role =
        "- {name: r, rules: [{services: [a], methods: [GET]}],"
            + " bindings: [{name: b, subjects: [{user: alice, properties: {namespace: default}}]}]}";
    Map<String, Object> f =
        fields(
            "action.namespace", "default",
            "action.service", "a",
            "action.method", "GET",
            "action.path", "/",
            "subject.user", "alice",
            "subject.properties.namespace", "default");
    Attributes bag =
        MapAttributes.of(Map.of("source.principal", "bob", "namespace", "other"));
    assertThat(allowedWith(store(role, Spelling.MIXER), instance(f), bag)).isTrue();
    assertThat(allowedWith(store(role, Spelling.ATTRIBUTES), instance(f), bag)).isFalse();
    Attributes alice = MapAttributes.of(Map.of("source.principal", "alice", "namespace", "default"));
    assertThat(allowedWith(store(role, Spelling.ATTRIBUTES), instance(f), alice)).isTrue();
  }

  @Test
  void groupsCompareWithTheInstancesGroups() {
    RbacStore s =
        store(
            "- {name: r, rules: [{services: [a], methods: [GET]}],"
                + " bindings: [{name: b, subjects: [{group: admins}]}]}",
            Spelling.MIXER);
    Map<String, Object> f =
        fields("action.namespace", "default", "action.service", "a", "action.method", "GET",
            "action.path", "/", "subject.groups", "admins");
    assertThat(allowed(s, instance(f))).isTrue();
    f.put("subject.groups", "users");
    assertThat(allowed(s, instance(f))).isFalse();
  }

  @Test
  void rbacConfigModesScopeEnforcement() {
    String role = "- {name: r, rules: [{services: [a], methods: [GET]}],"
        + " bindings: [{name: b, subjects: [{user: alice}]}]}";
    Instance bob =
        instance(
            fields("action.namespace", "default", "action.service", "b.default.svc.cluster.local",
                "action.method", "GET", "action.path", "/", "subject.user", "bob"));
    assertThat(store(role, Spelling.MIXER).check(bob, Attributes.empty()))
        .isEqualTo(RbacStore.NO_MATCH);
    assertThat(allowed(store(role, Spelling.MIXER, scope(Mode.OFF, Set.of(), Set.of())), bob))
        .isTrue();
    assertThat(allowed(store(role, Spelling.MIXER, scope(Mode.ON, Set.of(), Set.of())), bob))
        .isFalse();
    assertThat(
            allowed(
                store(role, Spelling.MIXER, scope(Mode.ON_WITH_INCLUSION, Set.of("default"), Set.of())),
                bob))
        .isFalse();
    assertThat(
            allowed(
                store(role, Spelling.MIXER,
                    scope(Mode.ON_WITH_INCLUSION, Set.of("prod"), Set.of("x.default.svc.cluster.local"))),
                bob))
        .isTrue();
    assertThat(
            allowed(
                store(role, Spelling.MIXER,
                    scope(Mode.ON_WITH_INCLUSION, Set.of(), Set.of("b.default.svc.cluster.local"))),
                bob))
        .isFalse();
    assertThat(
            allowed(
                store(role, Spelling.MIXER,
                    scope(Mode.ON_WITH_EXCLUSION, Set.of(), Set.of("b.default.svc.cluster.local"))),
                bob))
        .isTrue();
    assertThat(
            allowed(
                store(role, Spelling.MIXER, scope(Mode.ON_WITH_EXCLUSION, Set.of("prod"), Set.of())),
                bob))
        .isFalse();
    RbacStore permissive =
        store(role, Spelling.MIXER, new RbacScope(Mode.ON, Set.of(), Set.of(), true));
    assertThat(permissive.check(bob, Attributes.empty())).isEqualTo(RbacStore.PERMISSIVE);
  }

  private static RbacScope scope(Mode mode, Set<String> namespaces, Set<String> services) {
    return new RbacScope(mode, namespaces, services, false);
  }

  /**
   * The index against a plain scan of every role (the reference model): many roles with exact and
   * pattern services, every request service, same answers.
   */
  @Test
  void indexAgreesWithAScanOfEveryRole() {
    StringBuilder yaml = new StringBuilder();
    List<String> services = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String svc = "svc" + i;
      services.add(svc);
      String pattern = i % 7 == 0 ? "svc" + i + "*" : i % 11 == 0 ? "*" + i : svc;
      yaml.append("- {name: r").append(i).append(", rules: [{services: ['").append(pattern)
          .append("'], methods: [GET]}], bindings: [{name: b").append(i)
          .append(", subjects: [{user: u").append(i % 5).append("}]}]}\n");
    }
    services.add("svc140");
    services.add("nosuch");
    RbacStore indexed = store(yaml.toString(), Spelling.MIXER);
    List<Map<String, Object>> roles = new Yaml().load(yaml.toString());
    for (String svc : services) {
      for (int u = 0; u < 5; u++) {
        Instance i =
            instance(fields("action.namespace", "default", "action.service", svc,
                "action.method", "GET", "action.path", "/", "subject.user", "u" + u));
        boolean expected = false;
        for (Map<String, Object> r : roles) {
          RbacStore single =
              RbacStore.compile(
                  new RbacPolicy(RbacTestData.roles(List.of(r), "default", Spelling.MIXER),
                      RbacScope.ALWAYS));
          expected |= allowed(single, i);
        }
        assertThat(allowed(indexed, i)).as(svc + " u" + u).isEqualTo(expected);
      }
    }
  }
}
