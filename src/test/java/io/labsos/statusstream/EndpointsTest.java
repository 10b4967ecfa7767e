package io.labsos.statusstream;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EndpointsTest {

  private static Endpoints endpoints(String host, String httpsPort, String managementPort) {
    var endpoints = new Endpoints();
    endpoints.hostText = host;
    endpoints.httpsPortText = httpsPort;
    endpoints.managementPortText = managementPort;
    endpoints.init();
    return endpoints;
  }

  @Test
  void theDefaultsAreServerXmlsOnes() {
    var endpoints = endpoints("*", "9443", "9081");
    assertThat(endpoints.problems()).isEmpty();
    assertThat(endpoints.localHost()).isEqualTo("127.0.0.1");
    assertThat(endpoints.httpsPort()).isEqualTo(9443);
    assertThat(endpoints.managementPort()).isEqualTo(9081);
  }

  @Test
  void anAddressIsWhereTheEndpointsAreReached() {
    assertThat(endpoints(" localhost ", "9443", "9081").localHost()).isEqualTo("localhost");
    assertThat(endpoints("", "9443", "9081").localHost()).isEqualTo("127.0.0.1");
    var given = endpoints("10.0.0.7", "8443", " 9581 ");
    assertThat(given.localHost()).isEqualTo("10.0.0.7");
    assertThat(given.httpsPort()).isEqualTo(8443);
    assertThat(given.managementPort()).isEqualTo(9581);
  }

  @Test
  void aPortThatIsNoPortIsRefusedByName() {
    var endpoints = endpoints("*", "https", "70000");
    assertThat(endpoints.problems())
        .containsExactly(
            "HTTPS_PORT must be a whole number from 1 to 65535",
            "MANAGEMENT_PORT must be a whole number from 1 to 65535");
    assertThat(endpoints.httpsPort()).isEqualTo(9443);
  }
}
