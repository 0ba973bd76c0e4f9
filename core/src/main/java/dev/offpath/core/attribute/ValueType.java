package dev.offpath.core.attribute;

/**
 * Mixer's attribute value types (istio.policy.v1beta1.ValueType), with the Java class each value has
 * in an {@link Attributes} bag and as the result of an expression.
 *
 * <table>
 *   <tr><th>type</th><th>Java value</th></tr>
 *   <tr><td>STRING, EMAIL_ADDRESS, DNS_NAME, URI</td><td>{@link String}</td></tr>
 *   <tr><td>INT64</td><td>{@link Long}</td></tr>
 *   <tr><td>DOUBLE</td><td>{@link Double}</td></tr>
 *   <tr><td>BOOL</td><td>{@link Boolean}</td></tr>
 *   <tr><td>TIMESTAMP</td><td>{@link java.time.Instant}</td></tr>
 *   <tr><td>DURATION</td><td>{@link java.time.Duration}</td></tr>
 *   <tr><td>IP_ADDRESS</td><td>{@link IpAddress}</td></tr>
 *   <tr><td>STRING_MAP</td><td>{@link StringMap}</td></tr>
 * </table>
 */
public enum ValueType {
  STRING,
  INT64,
  DOUBLE,
  BOOL,
  TIMESTAMP,
  DURATION,
  IP_ADDRESS,
  EMAIL_ADDRESS,
  DNS_NAME,
  URI,
  STRING_MAP;
}
