package dev.offpath.benchmarks.load;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Reads {@code istio_requests_total} (summed over its series) from a telemetry port's /metrics. */
final class MeshMetrics {

  private static final String NAME = "istio_requests_total";

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI uri;

  MeshMetrics(int port) {
    this.uri = URI.create("http://127.0.0.1:" + port + "/metrics");
  }

  double requestsTotal() throws IOException, InterruptedException {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException(uri + ": HTTP " + response.statusCode());
    }
    return sum(response.body());
  }

  /** The sum of the {@code istio_requests_total} samples of a text exposition. */
  static double sum(String exposition) {
    double sum = 0;
    for (String line : exposition.split("\n")) {
      String rest;
      if (line.startsWith(NAME + "{")) {
        rest = line.substring(line.lastIndexOf('}') + 1);
      } else if (line.startsWith(NAME + " ")) {
        rest = line.substring(NAME.length());
      } else {
        continue;
      }
      sum += Double.parseDouble(rest.trim().split(" ")[0]);
    }
    return sum;
  }
}
