package dev.offpath.accesslog;

import io.envoyproxy.envoy.data.accesslog.v3.ResponseFlags;

/** Envoy's short response-flag codes ({@code UH,NR}), as its {@code %RESPONSE_FLAGS%} prints them. */
final class ResponseFlagCodes {

  private ResponseFlagCodes() {}

  /** The codes of the set flags joined with {@code ,}; empty when none is set. */
  static String of(ResponseFlags f) {
    StringBuilder sb = new StringBuilder();
    add(sb, f.getFailedLocalHealthcheck(), "LH");
    add(sb, f.getNoHealthyUpstream(), "UH");
    add(sb, f.getUpstreamRequestTimeout(), "UT");
    add(sb, f.getLocalReset(), "LR");
    add(sb, f.getUpstreamRemoteReset(), "UR");
    add(sb, f.getUpstreamConnectionFailure(), "UF");
    add(sb, f.getUpstreamConnectionTermination(), "UC");
    add(sb, f.getUpstreamOverflow(), "UO");
    add(sb, f.getNoRouteFound(), "NR");
    add(sb, f.getDelayInjected(), "DI");
    add(sb, f.getFaultInjected(), "FI");
    add(sb, f.getRateLimited(), "RL");
    add(sb, f.hasUnauthorizedDetails(), "UAEX");
    add(sb, f.getRateLimitServiceError(), "RLSE");
    add(sb, f.getDownstreamConnectionTermination(), "DC");
    add(sb, f.getUpstreamRetryLimitExceeded(), "URX");
    add(sb, f.getStreamIdleTimeout(), "SI");
    add(sb, f.getInvalidEnvoyRequestHeaders(), "IH");
    add(sb, f.getDownstreamProtocolError(), "DPE");
    add(sb, f.getUpstreamMaxStreamDurationReached(), "UMSDR");
    add(sb, f.getResponseFromCacheFilter(), "RFCF");
    add(sb, f.getNoFilterConfigFound(), "NFCF");
    add(sb, f.getDurationTimeout(), "DT");
    add(sb, f.getUpstreamProtocolError(), "UPE");
    add(sb, f.getNoClusterFound(), "NC");
    add(sb, f.getOverloadManager(), "OM");
    add(sb, f.getDnsResolutionFailure(), "DF");
    add(sb, f.getDownstreamRemoteReset(), "DR");
    return sb.toString();
  }

  private static void add(StringBuilder sb, boolean set, String code) {
    if (set) {
      if (!sb.isEmpty()) {
        sb.append(',');
      }
      sb.append(code);
    }
  }
}
