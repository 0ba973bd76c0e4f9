/** Envoy's ext_authz front door: {@code envoy.service.auth.v3.Authorization}. */
@NullMarked
package dev.offpath.extauthz;

import org.jspecify.annotations.NullMarked;
