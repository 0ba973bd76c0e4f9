/** What the quota adapters share: how an instance's dimensions are read and matched. */
@NullMarked
package dev.offpath.adapters.quota;

import org.jspecify.annotations.NullMarked;
