/** The admin HTTP endpoint: health, readiness, metrics, live config and debug variables. */
@NullMarked
package dev.offpath.server.admin;

import org.jspecify.annotations.NullMarked;
