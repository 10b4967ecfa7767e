package io.labsos.statusstream.stream.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The cursor of a stream of several projects: opaque to clients, exact, bounded, validated. */
class StreamCursorTest {

  @Test
  void holdsEveryProjectsPositionAndReadsBackExactly() {
    var a = UUID.randomUUID();
    var b = UUID.randomUUID();
    var cursor = new StreamCursor(List.of(a, b));
    cursor.set(0, 1796029046077633L);
    cursor.set(1, Long.MAX_VALUE);
    assertThat(StreamCursor.parse(cursor.text()))
        .containsExactly(
            java.util.Map.entry(a, 1796029046077633L), java.util.Map.entry(b, Long.MAX_VALUE));
    assertThat(cursor.text()).matches("[A-Za-z0-9_-]+");
  }

  @Test
  void theLargestIsBounded() {
    var projects = new ArrayList<UUID>();
    for (int i = 0; i < StreamCursor.MAX_PROJECTS; i++) {
      projects.add(UUID.randomUUID());
    }
    var cursor = new StreamCursor(projects);
    assertThat(cursor.text().length()).isEqualTo(2_050);
    assertThat(StreamCursor.parse(cursor.text())).hasSize(StreamCursor.MAX_PROJECTS);
  }

  @Test
  void refusesWhatThisServiceDidNotMake() {
    var b64 = Base64.getUrlEncoder().withoutPadding();
    for (var text :
        List.of(
            "",
            "12345",
            "not a cursor!",
            b64.encodeToString(new byte[] {1}),
            b64.encodeToString(new byte[25]), // version 0
            b64.encodeToString(new byte[24]),
            b64.encodeToString(withVersion(new byte[1 + 24 + 5])),
            b64.encodeToString(withVersion(new byte[1 + 24 * 65])),
            "A".repeat(5_000))) {
      assertThatThrownBy(() -> StreamCursor.parse(text))
          .as(text.length() > 40 ? text.substring(0, 40) : text)
          .isInstanceOf(IllegalArgumentException.class);
    }
    // A negative position, and a project named twice.
    var negative = withVersion(new byte[1 + 24]);
    java.nio.ByteBuffer.wrap(negative, 17, 8).putLong(-1);
    assertThatThrownBy(() -> StreamCursor.parse(b64.encodeToString(negative)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> StreamCursor.parse(b64.encodeToString(withVersion(new byte[49]))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static byte[] withVersion(byte[] bytes) {
    bytes[0] = 1;
    return bytes;
  }
}
