/** Watching config files and directories for changes that call for a reload. */
@NullMarked
package dev.offpath.server.watch;

import org.jspecify.annotations.NullMarked;
