package dev.offpath.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MeshMetricsTest {

  @Test
  void sumsTheRequestCounterOverItsSeriesOnly() {
    String exposition =
        """
        # HELP istio_requests_total requests_total
        # TYPE istio_requests_total counter
        istio_requests_total{destination_service="reviews",response_code="200"} 1200.0
        istio_requests_total{destination_service="a b}c",response_code="503"} 34.0 1767225600000
        istio_requests_total_created{destination_service="reviews"} 1.7672256E9
        istio_request_duration_seconds_count{destination_service="reviews"} 99.0
        """;
    assertThat(MeshMetrics.sum(exposition)).isEqualTo(1234.0);
    assertThat(MeshMetrics.sum("istio_requests_total 7\n")).isEqualTo(7.0);
    assertThat(MeshMetrics.sum("")).isZero();
  }
}
