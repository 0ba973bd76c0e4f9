/** Rule matching, instance building and dispatch to handlers. */
@NullMarked
package dev.offpath.core.runtime;

import org.jspecify.annotations.NullMarked;
