/**
 * The {@code listchecker} adapter: white- and blacklists of strings, case-insensitive strings, IP
 * ranges or regular expressions, given inline ({@code overrides}) and/or fetched from a provider
 * URL in the background.
 */
@NullMarked
package dev.offpath.adapters.list;

import org.jspecify.annotations.NullMarked;
