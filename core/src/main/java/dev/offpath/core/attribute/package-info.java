/** Attribute values, bags, manifests and the recording of what a decision read. */
@NullMarked
package dev.offpath.core.attribute;

import org.jspecify.annotations.NullMarked;
