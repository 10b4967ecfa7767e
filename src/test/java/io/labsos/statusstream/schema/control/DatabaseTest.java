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
    var database = settings(sslMode, rootCert);
    database.init();
    return database;
  }

  /** The settings, not checked yet, with the defaults the annotations give to the others. */
  private static Database settings(String sslMode, String rootCert) {
    var database = new Database();
    database.host = "db.example.org";
    database.portText = "5432";
    database.name = "labsos";
    database.user = "status_stream";
    database.password = Optional.empty();
    database.socketTimeoutText = "20";
    database.sslModeText = sslMode;
    database.sslRootCertText = Optional.ofNullable(rootCert);
    return database;
  }

  @Test
  void thePortAndTheSocketTimeoutAreTakenAsGiven() {
    var database = settings("prefer", null);
    database.portText = " 55483 ";
    database.socketTimeoutText = "5";
    database.init();
    assertThat(database.problem()).isEmpty();
    assertThat(database.port()).isEqualTo(55483);
    assertThat(database.socketTimeoutSeconds()).isEqualTo(5);
    assertThat(database.dataSource("listener").getPortNumbers()).containsExactly(55483);
    assertThat(database.dataSource("listener").getSocketTimeout()).isEqualTo(5);
  }

  @Test
  void theDefaultsAreTheDocumentedOnes() {
    var database = database("prefer", null);
    assertThat(database.port()).isEqualTo(5432);
    assertThat(database.socketTimeoutSeconds()).isEqualTo(20);
  }

  @Test
  void aPortOrTimeoutThatIsNoNumberIsRefusedByNameWithTheOtherProblems() {
    var database = settings("verify_full", null);
    database.portText = "5432/tcp";
    database.socketTimeoutText = "0";
    database.init();
    assertThat(database.problem())
        .contains(
            "DB_PORT must be a whole number from 1 to 65535; LISTENER_SOCKET_TIMEOUT_SECONDS must be"
                + " a whole number from 1 to 2147483; "
                + Database.BAD_SSL_MODE);
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
