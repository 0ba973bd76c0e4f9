/**
 * The decision log ({@code --decision-log}) and the dry-run counters: every decision of ext_authz and
 * ext_proc, sampled, written as JSON lines off the request threads. See README "Operating Offpath".
 */
@NullMarked
package dev.offpath.server.decisions;

import org.jspecify.annotations.NullMarked;
