/**
 * What Offpath's Envoy front doors share so that they cannot drift apart: the mapping of Envoy's
 * request description to Mixer attributes, its input limits, and the pieces of Envoy replies (header
 * options for rule header operations, the text of a denial).
 */
@NullMarked
package dev.offpath.envoy.attributes;

import org.jspecify.annotations.NullMarked;
