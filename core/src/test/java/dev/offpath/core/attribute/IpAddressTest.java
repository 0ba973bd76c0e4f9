package dev.offpath.core.attribute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class IpAddressTest {

  @Test
  void ipv4EqualsItsMappedFormButIsNotIdentical() {
    IpAddress v4 = IpAddress.parse("10.1.2.3");
    // Java parses "::ffff:10.1.2.3" to 4 bytes; 16 raw bytes keep the mapped form.
    IpAddress mapped =
        IpAddress.ofBytes(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, 10, 1, 2, 3});
    assertThat(v4).isEqualTo(mapped).hasSameHashCodeAs(mapped);
    assertThat(v4.identical(mapped)).isFalse();
    assertThat(v4.identical(IpAddress.parse("10.1.2.3"))).isTrue();
    assertThat(mapped.isIpv4()).isTrue();
    assertThat(mapped.toString()).isEqualTo("10.1.2.3");
  }

  @Test
  void hashIsTheMappedFormsArrayHash() {
    for (String text : new String[] {"10.1.2.3", "2001:db8::1", "::", "255.255.255.255"}) {
      IpAddress ip = IpAddress.parse(text);
      assertThat(ip.hashCode()).as(text).isEqualTo(Arrays.hashCode(ip.toIpv6Bytes()));
    }
  }

  @Test
  void differentAddressesDiffer() {
    assertThat(IpAddress.parse("10.1.2.3")).isNotEqualTo(IpAddress.parse("10.1.2.4"));
    assertThat(IpAddress.parse("2001:db8::1")).isNotEqualTo(IpAddress.parse("2001:db8::2"));
    assertThat(IpAddress.parse("::a01:203")).as("IPv4-compatible is not IPv4-mapped")
        .isNotEqualTo(IpAddress.parse("10.1.2.3"));
    assertThat(IpAddress.parse("10.1.2.3")).isNotEqualTo("10.1.2.3");
  }

  @Test
  void rejectsNonLiterals() {
    assertThatThrownBy(() -> IpAddress.parse("example.com"))
        .hasMessage("could not convert 'example.com' to IP_ADDRESS");
    assertThatThrownBy(() -> IpAddress.ofBytes(new byte[5]))
        .hasMessage("IP address bytes: 5 (expected: 4 or 16)");
  }

  @Test
  void dottedQuadsTakeTheShortPathAndParseAsTheGeneralParserDoes() throws Exception {
    for (String ip :
        new String[] {"0.0.0.0", "10.1.2.3", "255.255.255.255", "192.168.0.1", "1.22.133.4"}) {
      assertThat(IpAddress.dottedQuad(ip)).as(ip).isNotNull();
      assertThat(IpAddress.dottedQuad(ip)).as(ip).isEqualTo(InetAddress.getByName(ip).getAddress());
      assertThat(IpAddress.parse(ip).identical(IpAddress.ofBytes(InetAddress.getByName(ip).getAddress())))
          .as(ip)
          .isTrue();
    }
    for (String other :
        new String[] {"256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1..2.3", "1.2.3.", "a.b.c.d", "::1"}) {
      assertThat(IpAddress.dottedQuad(other)).as(other).isNull();
    }
    assertThatThrownBy(() -> IpAddress.parse("256.1.1.1"))
        .hasMessage("could not convert '256.1.1.1' to IP_ADDRESS");
  }
}
