/**
 * The adapter SPI: {@link dev.offpath.core.adapter.AdapterFactory} parses handler params and creates
 * {@link dev.offpath.core.adapter.Handler}s that answer check and quota instances.
 */
@NullMarked
package dev.offpath.core.adapter;

import org.jspecify.annotations.NullMarked;
