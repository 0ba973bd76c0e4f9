/** JMH benchmarks of the Envoy request mapping (envoy-attributes). */
@NullMarked
package dev.offpath.benchmarks.attributes;

import org.jspecify.annotations.NullMarked;
