package io.labsos.statusstream.events.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Publication names are database-wide: each schema's event log gets its own. */
class PublicationTest {

  @Test
  void theLogInPublicKeepsTheNameItAlwaysHad() {
    assertThat(Publication.name("public")).isEqualTo("status_stream_events");
  }

  @Test
  void anotherSchemasLogHasItsOwn() {
    assertThat(Publication.name("tenant_b")).isEqualTo("status_stream_events_tenant_b");
    assertThat(Publication.name("tenant_b")).isNotEqualTo(Publication.name("tenant_c"));
  }

  @Test
  void aLongSchemaNameIsCutToAnIdentifiersLengthOnACharacterBoundary() {
    var name = Publication.name("ü".repeat(40));
    assertThat(name.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(63);
    assertThat(name).startsWith("status_stream_events_ü");
    assertThat(new String(name.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8))
        .isEqualTo(name);
  }
}
