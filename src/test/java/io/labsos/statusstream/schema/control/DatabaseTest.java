package io.labsos.statusstream.schema.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabaseTest {

  /** Settings as an operator would give them: a null root certificate is one left unset. */
  static Database database(String sslMode, String rootCert) {
    var database = new Database();
    database.host = "db.example.org";
    database.port = 5432;
    database.name = "labsos";
    database.user = "status_stream";
    database.password = Optional.empty();
    database.socketTimeoutSeconds = 20;
    database.sslModeText = sslMode;
    database.sslRootCertText = Optional.ofNullable(rootCert);
    database.init();
    return database;
  }

  @Test
  void withoutTlsSettingsConnectionsPreferTlsAsPgjdbcDoes() {
    var database = database("prefer", null);
    assertThat(database.problem()).isEmpty();
    var dataSource = database.dataSource("test");
    assertThat(dataSource.getSslMode()).isEqualTo("prefer");
    assertThat(dataSource.getSslRootCert()).isNull();
  }

  @Test
  void everyConnectionTheCodeOpensVerifiesTheServerAsConfigured(@TempDir Path dir)
      throws IOException {
    var ca = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
    var database = database("verify-full", ca.toString());
    assertThat(database.problem()).isEmpty();
    for (var purpose : new String[] {"listener", "migration"}) {
      var dataSource = database.dataSource(purpose);
      assertThat(dataSource.getSslMode()).isEqualTo("verify-full");
      assertThat(dataSource.getSslRootCert()).isEqualTo(ca.toString());
    }
    assertThat(database.tls()).isEqualTo(new Tls("verify-full", ca.toString()));
  }

  @Test
  void aModeThatIsNoneOfPgjdbcsIsRefused() {
    for (var mode : new String[] {"verify_full", "VERIFY-FULL", " require", "on"}) {
      assertThat(database(mode, null).problem()).as(mode).contains(Database.BAD_SSL_MODE);
    }
    assertThat(Database.BAD_SSL_MODE)
        .isEqualTo(
            "DB_SSLMODE is not one of disable, allow, prefer, require, verify-ca, verify-full");
  }

  @Test
  void aRootCertificateThatCannotBeReadIsRefusedWhereItWouldBeUsed(@TempDir Path dir) {
    var missing = dir.resolve("missing.pem").toString();
    assertThat(database("verify-full", missing).problem()).contains(Database.UNREADABLE_ROOT_CERT);
    assertThat(database("verify-ca", dir.toString()).problem())
        .contains(Database.UNREADABLE_ROOT_CERT);
    // Modes that do not verify never read it.
    assertThat(database("require", missing).problem()).isEmpty();
  }
}
