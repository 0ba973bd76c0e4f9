/** Benchmarks of the out-of-process adapter runtime (README "Out-of-process adapters"). */
@NullMarked
package dev.offpath.benchmarks.remote;

import org.jspecify.annotations.NullMarked;
