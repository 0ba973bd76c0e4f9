package dev.offpath.adapters.denier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offpath.adapters.testing.TestEnvironment;
import dev.offpath.core.adapter.AdapterConfigException;
import dev.offpath.core.adapter.AdapterRegistry;
import dev.offpath.core.adapter.CheckHandler;
import dev.offpath.core.adapter.CheckResult;
import dev.offpath.core.adapter.Instance;
import dev.offpath.core.adapter.Params;
import dev.offpath.core.adapter.PolicyStatus;
import dev.offpath.core.adapter.QuotaArgs;
import dev.offpath.core.adapter.QuotaHandler;
import dev.offpath.core.adapter.QuotaResult;
import dev.offpath.core.adapter.StatusCode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DenierFactoryTest {

  private final DenierFactory factory = new DenierFactory();
  private final TestEnvironment env = new TestEnvironment();

  @AfterEach
  void tearDown() {
    env.close();
  }

  private DenierConfig parse(Map<String, ?> params) throws AdapterConfigException {
    return factory.parse(Params.of(params));
  }

  private static String error(DenierFactory f, Map<String, ?> params) {
    try {
      f.parse(Params.of(params));
    } catch (AdapterConfigException e) {
      return e.getMessage();
    }
    throw new AssertionError("expected an error for " + params);
  }

  @Test
  void installedThroughServiceLoader() {
    AdapterRegistry registry = AdapterRegistry.installed();
    assertThat(registry.find("denier")).isInstanceOf(DenierFactory.class);
    assertThat(factory.templates()).containsExactlyInAnyOrder("checknothing", "listentry", "quota");
  }

  @Test
  void defaultsAreMixers() throws Exception {
    DenierConfig config = parse(Map.of());
    assertThat(config)
        .isEqualTo(
            new DenierConfig(
                PolicyStatus.of(StatusCode.FAILED_PRECONDITION, ""), Duration.ofSeconds(5), 1000));
  }

  @Test
  void bookinfoSample() throws Exception {
    DenierConfig config = parse(Map.of("status", Map.of("code", 7, "message", "Not allowed")));
    CheckHandler handler = (CheckHandler) factory.create(config, env);
    CheckResult result =
        handler.check(new Instance("denyrequest.checknothing", "checknothing", Map.of()));
    assertThat(result)
        .isEqualTo(
            new CheckResult(
                PolicyStatus.of(StatusCode.PERMISSION_DENIED, "Not allowed"),
                Duration.ofSeconds(5),
                1000));
  }

  @ParameterizedTest
  @CsvSource({
    "7, PERMISSION_DENIED",
    "'16', UNAUTHENTICATED",
    "permission_denied, PERMISSION_DENIED",
    "UNAVAILABLE, UNAVAILABLE",
    "0, FAILED_PRECONDITION",
    "OK, FAILED_PRECONDITION"
  })
  void codeAsNumberOrName(String code, StatusCode expected) throws Exception {
    Object value =
        code.chars().allMatch(Character::isDigit) ? (Object) Integer.parseInt(code) : code;
    assertThat(parse(Map.of("status", Map.of("code", value))).status().code()).isEqualTo(expected);
  }

  @Test
  void durationAndUseCount() throws Exception {
    DenierConfig config = parse(Map.of("validDuration", "1.5s", "valid_use_count", 3));
    assertThat(config.validDuration()).isEqualTo(Duration.ofMillis(1500));
    assertThat(config.validUseCount()).isEqualTo(3);
    assertThat(config).isEqualTo(parse(Map.of("validDuration", "1500ms", "validUseCount", "3")));
  }

  @Test
  void quotaGrantsNothingWithTheStatus() throws Exception {
    DenierConfig config =
        parse(Map.of("status", Map.of("code", "RESOURCE_EXHAUSTED", "message", "no")));
    QuotaHandler handler = (QuotaHandler) factory.create(config, env);
    QuotaResult result =
        handler.allocate(new Instance("rq.quota", "quota", Map.of()), new QuotaArgs("d1", 5, true));
    assertThat(result)
        .isEqualTo(
            new QuotaResult(
                PolicyStatus.of(StatusCode.RESOURCE_EXHAUSTED, "no"), 0, Duration.ZERO));
  }

  @Test
  void validationErrors() {
    assertThat(error(factory, Map.of("status", Map.of("code", 42))))
        .isEqualTo(
            "status.code: 42 (expected: a google.rpc.Code number 0-16 or name such as"
                + " PERMISSION_DENIED)");
    assertThat(error(factory, Map.of("status", Map.of("code", "NOPE"))))
        .isEqualTo(
            "status.code: NOPE (expected: a google.rpc.Code number 0-16 or name such as"
                + " PERMISSION_DENIED)");
    assertThat(error(factory, Map.of("status", Map.of("code", 7, "details", "x"))))
        .isEqualTo("status.details: unknown param");
    assertThat(error(factory, Map.of("status", "denied"))).isEqualTo("status: expected an object");
    assertThat(error(factory, Map.of("validDuration", "-1s")))
        .isEqualTo("validDuration: -1s (expected: >= 0)");
    assertThat(error(factory, Map.of("validDuration", "soon")))
        .isEqualTo("validDuration: soon (expected: a duration such as 10ms, 1.5s or 1m)");
    assertThat(error(factory, Map.of("validUseCount", -1)))
        .isEqualTo("validUseCount: -1 (expected: 0 to 2147483647)");
    assertThat(error(factory, Map.of("validUseCounts", 1)))
        .isEqualTo("validUseCounts: unknown param");
  }

  @Test
  void parseFailureCarriesPath() {
    assertThatThrownBy(() -> parse(Map.of("status", Map.of("code", 99))))
        .isInstanceOf(AdapterConfigException.class)
        .extracting(e -> ((AdapterConfigException) e).path())
        .isEqualTo("status.code");
  }
}
