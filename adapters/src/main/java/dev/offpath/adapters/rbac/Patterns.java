package dev.offpath.adapters.rbac;

import java.util.List;

/**
 * Mixer's RBAC string matching: a value matches a list when it equals an entry, the entry is {@code
 * *}, the entry ends with {@code *} and the value starts with the rest ({@code book*}), or the entry
 * starts with {@code *} and the value ends with the rest ({@code * /review}). Used for services,
 * paths, methods and constraint values alike; case-sensitive.
 */
final class Patterns {

  private Patterns() {}

  /** Whether {@code value} matches any entry of {@code patterns}; an empty list matches nothing. */
  static boolean any(String value, String[] patterns) {
    for (String p : patterns) {
      if (matches(value, p)) {
        return true;
      }
    }
    return false;
  }

  static boolean any(String value, List<String> patterns) {
    for (String p : patterns) {
      if (matches(value, p)) {
        return true;
      }
    }
    return false;
  }

  static boolean matches(String value, String pattern) {
    if (value.equals(pattern) || pattern.equals("*")) {
      return true;
    }
    int n = pattern.length();
    if (n == 0 || value.length() < n - 1) {
      return false;
    }
    if (pattern.charAt(n - 1) == '*' && value.regionMatches(0, pattern, 0, n - 1)) {
      return true; // prefix: "book*"
    }
    return pattern.charAt(0) == '*'
        && value.regionMatches(value.length() - (n - 1), pattern, 1, n - 1); // suffix: "*/review"
  }

  /** Whether {@code pattern} matches only itself (no {@code *} at either end). */
  static boolean isExact(String pattern) {
    return pattern.isEmpty()
        || (pattern.charAt(0) != '*' && pattern.charAt(pattern.length() - 1) != '*');
  }
}
