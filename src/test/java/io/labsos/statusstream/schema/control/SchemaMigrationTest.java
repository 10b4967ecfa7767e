package io.labsos.statusstream.schema.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SchemaMigrationTest {

  static SchemaMigration migration(String mode) {
    var migration = new SchemaMigration();
    migration.database = DatabaseTest.database("prefer", null);
    migration.lockTimeoutText = "2";
    migration.modeText = mode;
    migration.init();
    return migration;
  }

  @Test
  void autoMigratesBeforeTheInstanceCountsAsStarted() {
    var auto = migration("auto");
    assertThat(auto.problem()).isEmpty();
    assertThat(auto.isCurrent()).isFalse();
    assertThat(auto.isSettled()).isFalse();
    assertThat(auto.state()).isEqualTo("not migrated");
  }

  @Test
  void validateWaitsForAVerdict() {
    var validate = migration("validate");
    assertThat(validate.problem()).isEmpty();
    assertThat(validate.isCurrent()).isFalse();
    assertThat(validate.isSettled()).isFalse();
    assertThat(validate.state()).isEqualTo("not validated yet");
  }

  @Test
  void offTakesTheSchemaAsItIsWithoutTouchingTheDatabase() {
    var off = migration("off");
    assertThat(off.problem()).isEmpty();
    assertThat(off.isCurrent()).isTrue();
    assertThat(off.isSettled()).isTrue();
    assertThat(off.state()).isEqualTo("not checked (SCHEMA_MIGRATION=off)");
    off.ensureCurrent(); // the database of these settings does not exist: nothing is asked
  }

  @Test
  void anyOtherValueIsRefused() {
    for (var mode : new String[] {"validated", "none", "true", "AUTO "}) {
      var refused = migration(mode);
      assertThat(refused.problem()).as(mode).contains(BAD_MODE);
      assertThat(refused.isCurrent()).isFalse();
      assertThatThrownBy(refused::ensureCurrent).hasMessage(BAD_MODE);
    }
  }

  private static final String BAD_MODE = "SCHEMA_MIGRATION must be auto, validate or off";

  @Test
  void blanksAroundTheModeAreIgnored() {
    assertThat(migration(" validate ").problem()).isEmpty();
  }

  @Test
  void aLockTimeoutThatIsNoPositiveNumberIsRefusedByName() {
    for (var timeout : new String[] {"0", "-1", "2s", ""}) {
      var migration = new SchemaMigration();
      migration.database = DatabaseTest.database("prefer", null);
      migration.lockTimeoutText = timeout;
      migration.modeText = "auto";
      migration.init();
      assertThat(migration.problem())
          .as(timeout)
          .contains("MIGRATION_LOCK_TIMEOUT_SECONDS must be a number above 0 (such as 2 or 0.5)");
      assertThat(migration.isCurrent()).isFalse();
    }
  }
}
