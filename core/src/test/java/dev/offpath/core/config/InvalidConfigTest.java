package dev.offpath.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One fixture per invalid config under {@code config/invalid/}; each file states the errors it must
 * produce, in order, as {@code # expect CATEGORY: file:line: message} lines.
 */
class InvalidConfigTest {

  private static final Pattern EXPECT = Pattern.compile("^# expect (\\w+): (.*)$");

  static Stream<Path> fixtures() throws IOException, URISyntaxException {
    Path dir =
        Path.of(
            Objects.requireNonNull(InvalidConfigTest.class.getResource("/config/invalid")).toURI());
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(15);
    return files.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtures")
  void reportsExactlyTheExpectedErrors(Path file) throws IOException {
    List<String> expected =
        Files.readAllLines(file).stream()
            .map(EXPECT::matcher)
            .filter(Matcher::matches)
            .map(m -> m.group(1) + " " + m.group(2))
            .toList();
    assertThat(expected).as("fixture states its expected errors").isNotEmpty();

    ConfigException e =
        catchThrowableOfType(
            ConfigException.class,
            () -> new ConfigLoader(TestAdapters.registry()).load(List.of(file)));

    assertThat(e).as("load must fail").isNotNull();
    assertThat(e.errors())
        .allSatisfy(error -> assertThat(error.source().file()).isEqualTo(file.toString()));
    List<String> actual =
        e.errors().stream()
            .map(
                error ->
                    error.category()
                        + " "
                        + file.getFileName()
                        + ":"
                        + error.source().line()
                        + ": "
                        + error.message().replace(file.toString(), file.getFileName().toString()))
            .toList();
    assertThat(actual).containsExactlyElementsOf(expected);
  }
}
