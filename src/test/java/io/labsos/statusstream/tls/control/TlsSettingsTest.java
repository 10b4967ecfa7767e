package io.labsos.statusstream.tls.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.labsos.statusstream.Endpoints;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TlsSettingsTest {

  /** Settings as an operator gives them: a null is a setting left unset. */
  private static TlsSettings settings(String certificate, String key) {
    var settings = new TlsSettings();
    settings.certificateText = Optional.ofNullable(certificate);
    settings.keyText = Optional.ofNullable(key);
    settings.endpoints =
        new Endpoints() {
          @Override
          public String localHost() {
            return "127.0.0.1";
          }

          @Override
          public int httpsPort() {
            return 9443;
          }
        };
    settings.folderText = Optional.of("/srv/output/tls");
    settings.init();
    return settings;
  }

  @Test
  void neitherFileIsNoHttps() {
    for (var settings : new TlsSettings[] {settings(null, null), settings(" ", "")}) {
      assertThat(settings.problems()).isEmpty();
      assertThat(settings.enabled()).isFalse();
    }
  }

  @Test
  void bothFilesAreHttps() {
    var settings = settings(" /etc/tls/tls.crt ", "/etc/tls/tls.key");
    assertThat(settings.problems()).isEmpty();
    assertThat(settings.enabled()).isTrue();
    assertThat(settings.certificate()).isEqualTo(Path.of("/etc/tls/tls.crt"));
    assertThat(settings.key()).isEqualTo(Path.of("/etc/tls/tls.key"));
    assertThat(settings.folder()).isEqualTo(Path.of("/srv/output/tls"));
    assertThat(settings.localAddress().getHostString()).isEqualTo("127.0.0.1");
    assertThat(settings.localAddress().getPort()).isEqualTo(9443);
  }

  @Test
  void oneFileWithoutTheOtherIsRefused() {
    var onlyCertificate = settings("/etc/tls/tls.crt", null);
    assertThat(onlyCertificate.problems()).containsExactly(TlsSettings.ONLY_CERT);
    assertThat(onlyCertificate.enabled()).isFalse();
    assertThat(settings("", "/etc/tls/tls.key").problems()).containsExactly(TlsSettings.ONLY_KEY);
    assertThat(settings("/etc/tls/tls.crt\0", "/etc/tls/tls.key").problems())
        .containsExactly(TlsSettings.BAD_CERT_PATH);
  }
}
