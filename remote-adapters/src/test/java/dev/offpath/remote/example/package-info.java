/** The example out-of-process adapter (README "Writing an adapter"). */
@NullMarked
package dev.offpath.remote.example;

import org.jspecify.annotations.NullMarked;
