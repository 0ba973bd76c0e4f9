package dev.offpath.adapters.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offpath.core.attribute.Attributes;
import dev.offpath.core.rbac.RbacPolicy;
import dev.offpath.core.rbac.RbacScope;
import dev.offpath.core.rbac.Spelling;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Mixer's own RBAC store test table ({@code mixer-rbacstore-cases.yaml}, transcribed from istio/istio
 * release-1.0 {@code rbacStore_test.go}): every case decided by the compiled store, each with Mixer's
 * expected result.
 */
class MixerRbacStoreCasesTest {

  private static final Map<String, Object> DATA =
      RbacTestData.load("/dev/offpath/adapters/rbac/mixer-rbacstore-cases.yaml");

  @SuppressWarnings("unchecked")
  private static final RbacStore STORE =
      RbacStore.compile(
          new RbacPolicy(
              RbacTestData.roles(
                  (List<Map<String, Object>>) DATA.get("roles"), "ns1", Spelling.MIXER),
              RbacScope.ALWAYS));

  @SuppressWarnings("unchecked")
  static Stream<Arguments> cases() {
    return ((List<List<Object>>) DATA.get("cases"))
        .stream().map(c -> Arguments.of(c.toString(), c));
  }

  @Test
  void tableHasAllOfMixersCases() {
    assertThat(cases()).hasSize(13);
    assertThat(STORE.roleCount()).isEqualTo(5);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void decidesAsMixer(String name, List<Object> c) {
    String user = (String) c.get(7);
    var instance =
        RbacTestData.instance(
            RbacTestData.fields(
                "action.namespace", c.get(0),
                "action.service", c.get(1),
                "action.path", c.get(2),
                "action.method", c.get(3),
                "action.properties.version", c.get(4),
                "subject.properties.namespace", c.get(5),
                "subject.properties.service", c.get(6),
                "subject.user", user,
                "subject.groups", user));
    RbacStore.Verdict v = STORE.check(instance, Attributes.empty());
    assertThat(v.allowed()).as(v.reason()).isEqualTo(c.get(8));
  }
}
