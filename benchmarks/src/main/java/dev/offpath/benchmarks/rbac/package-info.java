/** JMH benchmark of the rbac adapter's decisions (README "RBAC"). */
@NullMarked
package dev.offpath.benchmarks.rbac;

import org.jspecify.annotations.NullMarked;
