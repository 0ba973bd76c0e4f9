package dev.offpath.core.rbac;

/** Which of Istio's two RBAC API groups an object was written in; it decides what keys name. */
public enum Spelling {
  /**
   * {@code config.istio.io/v1alpha2} (Istio 0.8, Mixer's {@code rbac} adapter): keys name the
   * {@code authorization} instance's properties, {@code user} its {@code subject.user}.
   */
  MIXER,
  /**
   * {@code rbac.istio.io/v1alpha1} (Istio 1.0): keys name request attributes and {@code user} is
   * the {@code source.principal} attribute, as Envoy's RBAC filter evaluated them.
   */
  ATTRIBUTES
}
