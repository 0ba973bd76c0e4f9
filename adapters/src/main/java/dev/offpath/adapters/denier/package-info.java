/**
 * The {@code denier} adapter: answers every check with a configured status and grants no quota.
 * Used by rules that deny by match alone ({@code match: source.labels["app"] == "evil"}).
 */
@NullMarked
package dev.offpath.adapters.denier;

import org.jspecify.annotations.NullMarked;
