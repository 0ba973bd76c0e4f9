package dev.offpath.adapters.list;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.offpath.adapters.list.ListConfig.EntryType;
import dev.offpath.core.attribute.IpAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/** A compiled, immutable list: answers whether a value is on it. Safe to share between threads. */
abstract sealed class Entries {

  /**
   * Whether {@code value} is listed. The value is a {@link String} or an {@link IpAddress}.
   *
   * @throws IllegalArgumentException when the value cannot be compared (not an IP address, say);
   *     the message says why
   */
  abstract boolean contains(Object value);

  abstract int size();

  /** Compiles {@code entries}; empty strings are skipped, as Mixer did. */
  static Entries compile(EntryType type, List<String> entries) throws BadEntryException {
    return switch (type) {
      case STRINGS -> new Strings(entries, false);
      case CASE_INSENSITIVE_STRINGS -> new Strings(entries, true);
      case IP_ADDRESSES -> new IpRanges(entries);
      case REGEX -> new Regexes(entries);
    };
  }

  private static String text(Object value) {
    return value instanceof String s ? s : value.toString();
  }

  private static final class Strings extends Entries {
    private final Set<String> set = new HashSet<>();
    private final boolean ignoreCase;

    Strings(List<String> entries, boolean ignoreCase) {
      this.ignoreCase = ignoreCase;
      for (String e : entries) {
        if (!e.isEmpty()) {
          set.add(ignoreCase ? e.toUpperCase(Locale.ROOT) : e);
        }
      }
    }

    @Override
    boolean contains(Object value) {
      String s = text(value);
      return set.contains(ignoreCase ? s.toUpperCase(Locale.ROOT) : s);
    }

    @Override
    int size() {
      return set.size();
    }
  }

  private static final class Regexes extends Entries {
    private final List<Pattern> patterns = new ArrayList<>();

    Regexes(List<String> entries) throws BadEntryException {
      for (int i = 0; i < entries.size(); i++) {
        String e = entries.get(i);
        if (e.isEmpty()) {
          continue;
        }
        try {
          patterns.add(Pattern.compile(e));
        } catch (PatternSyntaxException ex) {
          throw new BadEntryException(i, e, "an RE2 regular expression; " + ex.getDescription());
        }
      }
    }

    @Override
    boolean contains(Object value) {
      String s = text(value);
      for (Pattern p : patterns) {
        if (p.matcher(s).find()) {
          return true;
        }
      }
      return false;
    }

    @Override
    int size() {
      return patterns.size();
    }
  }

  /**
   * IPv4 and IPv6 ranges, grouped by prefix length: a lookup masks the address once per distinct
   * prefix length and probes a hash set. An IPv4 range matches IPv4 (and IPv4-mapped) addresses
   * only, an IPv6 range IPv6 addresses only, as Go's {@code net.IPNet.Contains} had it.
   */
  private static final class IpRanges extends Entries {
    private final PrefixSet v4 = new PrefixSet(32);
    private final PrefixSet v6 = new PrefixSet(128);
    private int size;

    IpRanges(List<String> entries) throws BadEntryException {
      for (int i = 0; i < entries.size(); i++) {
        String e = entries.get(i);
        if (e.isEmpty()) {
          continue;
        }
        add(i, e);
        size++;
      }
    }

    private void add(int index, String entry) throws BadEntryException {
      String expected = "an IP address or CIDR range";
      int slash = entry.indexOf('/');
      IpAddress address;
      try {
        address = IpAddress.parse(slash < 0 ? entry : entry.substring(0, slash));
      } catch (IllegalArgumentException e) {
        throw new BadEntryException(index, entry, expected);
      }
      int bits = address.isIpv4() ? 32 : 128;
      int prefix = bits;
      if (slash >= 0) {
        String p = entry.substring(slash + 1);
        if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
          throw new BadEntryException(index, entry, expected);
        }
        prefix = Integer.parseInt(p);
        if (prefix > bits) {
          throw new BadEntryException(index, entry, expected);
        }
      }
      (address.isIpv4() ? v4 : v6).add(address, prefix);
    }

    @Override
    boolean contains(Object value) {
      IpAddress address;
      if (value instanceof IpAddress ip) {
        address = ip;
      } else {
        try {
          address = IpAddress.parse(text(value));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(value + " is not a valid IP address");
        }
      }
      return (address.isIpv4() ? v4 : v6).contains(address);
    }

    @Override
    int size() {
      return size;
    }
  }

  /** Networks of one family as (high, low) 64-bit halves, one hash set per prefix length. */
  private static final class PrefixSet {
    private final int bits;
    private final Map<Integer, Set<Key>> byPrefix = new TreeMap<>();
    private int[] prefixes = new int[0];

    PrefixSet(int bits) {
      this.bits = bits;
    }

    void add(IpAddress address, int prefix) {
      byPrefix
          .computeIfAbsent(prefix, p -> new HashSet<>())
          .add(Key.of(address, bits).mask(bits, prefix));
      prefixes = byPrefix.keySet().stream().mapToInt(Integer::intValue).toArray();
    }

    boolean contains(IpAddress address) {
      Key key = Key.of(address, bits);
      for (int prefix : prefixes) {
        if (Objects.requireNonNull(byPrefix.get(prefix)).contains(key.mask(bits, prefix))) {
          return true;
        }
      }
      return false;
    }
  }

  /** An address as two 64-bit halves of its 16-byte form; IPv4 in the low 32 bits only. */
  private record Key(long high, long low) {

    static Key of(IpAddress address, int bits) {
      byte[] b = address.toIpv6Bytes();
      long high = 0;
      long low = 0;
      for (int i = 0; i < 8; i++) {
        high = (high << 8) | (b[i] & 0xff);
        low = (low << 8) | (b[i + 8] & 0xff);
      }
      return bits == 32 ? new Key(0, low & 0xffff_ffffL) : new Key(high, low);
    }

    Key mask(int bits, int prefix) {
      if (bits == 32) {
        long mask = prefix == 0 ? 0 : (0xffff_ffffL << (32 - prefix)) & 0xffff_ffffL;
        return new Key(0, low & mask);
      }
      long highMask = prefix >= 64 ? -1L : prefix == 0 ? 0 : -1L << (64 - prefix);
      long lowMask = prefix <= 64 ? 0 : prefix == 128 ? -1L : -1L << (128 - prefix);
      return new Key(high & highMask, low & lowMask);
    }
  }
}
