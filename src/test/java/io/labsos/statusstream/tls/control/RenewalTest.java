package io.labsos.statusstream.tls.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.Test;

class RenewalTest {

  private static byte[] resource(String name) {
    try (var in = RenewalTest.class.getResourceAsStream("/tls/" + name)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final PemFiles RSA = new PemFiles(resource("rsa-chain.crt"), resource("rsa.key"));
  private static final PemFiles EC = new PemFiles(resource("ec.crt"), resource("ec-sec1.key"));

  /** The certificate renewed, the key not yet: what a check between two writes reads. */
  private static final PemFiles HALF = new PemFiles(resource("ec.crt"), resource("rsa.key"));

  @Test
  void takesUpChangedFilesOnceTheyReadTheSameTwice() {
    var renewal = new Renewal(RSA);
    assertThat(renewal.consider(RSA)).isEmpty();
    assertThat(renewal.consider(EC)).isEmpty();
    var renewed = renewal.consider(EC);
    assertThat(renewed).isPresent();
    assertThat(renewed.get().identity().key().getAlgorithm()).isEqualTo("EC");
    renewal.taken(EC);
    assertThat(renewal.consider(EC)).isEmpty();
  }

  @Test
  void aPairCaughtBetweenTwoWritesIsNotTaken() {
    var renewal = new Renewal(RSA);
    assertThat(renewal.consider(HALF)).isEmpty();
    assertThat(renewal.consider(EC)).isEmpty();
    assertThat(renewal.consider(EC)).isPresent();
  }

  @Test
  void anUnusablePairIsRefusedOnceAndTheNextRenewalIsTaken() {
    var renewal = new Renewal(RSA);
    renewal.consider(HALF);
    assertThat(renewal.consider(HALF)).isEmpty();
    assertThat(renewal.consider(HALF)).isEmpty();
    assertThat(renewal.consider(HALF)).isEmpty();
    renewal.consider(EC);
    assertThat(renewal.consider(EC)).isPresent();
  }

  @Test
  void goingBackToTheFilesTakenIsNoRenewal() {
    var renewal = new Renewal(RSA);
    renewal.consider(EC);
    assertThat(renewal.consider(RSA)).isEmpty();
    assertThat(renewal.consider(EC)).isEmpty();
    assertThat(renewal.consider(EC)).isPresent();
  }
}
