package deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The README's configuration table against what the code reads: every setting of the code is in the
 * table by its environment variable (MicroProfile Config's mapping of its property name), with the
 * default the code gives it, and where server.xml reads it too, server.xml's default is the same.
 */
class ConfigurationTest {

  /** server.xml's own: where it keeps the keystore it writes, not a setting for operators. */
  private static final Set<String> INTERNAL = Set.of("STATUS_STREAM_TLS_DIR");

  @Test
  void theTableNamesEverySettingTheCodeReads() {
    var read = new LinkedHashSet<>(ServiceFacts.configPropertyVariables());
    read.removeAll(INTERNAL);
    assertThat(ServiceFacts.documentedVariables("README.md", "Configuration"))
        .as("the README's configuration table")
        .containsAll(read);
  }

  @Test
  void theTableGivesTheDefaultsTheCodeHas() {
    var code = ServiceFacts.configPropertyDefaults();
    assertThat(code).containsEntry("STREAM_HEARTBEAT_SECONDS", "15").hasSizeGreaterThan(20);
    var documented = ServiceFacts.documentedDefaults("README.md", "Configuration");
    var expected = new LinkedHashMap<String, String>();
    code.keySet().forEach(name -> expected.put(name, documented.get(name)));
    assertThat(code).as("the README's defaults").isEqualTo(expected);
  }

  @Test
  void whatServerXmlReadsTooHasTheSameDefaultThere() {
    var server = ServiceFacts.serverVariables();
    var shared = new LinkedHashMap<String, String>();
    var code = ServiceFacts.configPropertyDefaults();
    code.keySet().stream()
        .filter(server::containsKey)
        .forEach(name -> shared.put(name, server.get(name)));
    assertThat(shared).containsKeys("DB_HOST", "STREAM_WRITE_TIMEOUT_SECONDS", "HTTP_HOST");
    shared.forEach(
        (name, serverDefault) -> assertThat(code.get(name)).as(name).isEqualTo(serverDefault));
  }
}
