/** Mixer's expression language: parsing, type checking against a manifest, evaluation. */
@NullMarked
package dev.offpath.core.expr;

import org.jspecify.annotations.NullMarked;
