package io.labsos.statusstream.stream.boundary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.labsos.statusstream.ApiError;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class ParamsTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "1",
        "1-1-1-1-1",
        "6f1c2b9e-8a0d-4c4e-9a51-3c9f0e4d2b7",
        "6f1c2b9e-8a0d-4c4e-9a51-3c9f0e4d2b7a0",
        "6f1c2b9e-8a0d-4c4e-9a51-3c9f0e4d2b7z",
        "6f1c2b9e-8a0d-4c4e-9a51-3c9f0e4d2b7a\n",
        "{6f1c2b9e-8a0d-4c4e-9a51-3c9f0e4d2b7a}"
      })
  void refusesAnythingButACanonicalUuid(String text) {
    assertThatThrownBy(() -> Params.projectId(text))
        .isInstanceOf(ApiError.class)
        .hasMessage("projectId must be a UUID");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"6f1c2b9e-8a0d-4c4e-9a51-3c9f0e4d2b7a", "6F1C2B9E-8A0D-4C4E-9A51-3C9F0E4D2B7A"})
  void acceptsUuidsInEitherCase(String text) {
    assertThat(Params.projectId(text)).isEqualTo(UUID.fromString(text));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        " ",
        "-1",
        "+1",
        "1.0",
        "0x10",
        "1 2",
        "\u00a01",
        "1\r\nid: 2",
        "9223372036854775808",
        "99999999999999999999"
      })
  void refusesCursorsThatAreNotPlainNonNegativeIntegers(String text) {
    assertThatThrownBy(() -> Params.eventId("Last-Event-ID", text))
        .isInstanceOf(ApiError.class)
        .hasMessage("Last-Event-ID must be a non-negative integer");
  }

  @ParameterizedTest
  @NullSource
  void treatsAnAbsentCursorAsNone(String text) {
    assertThat(Params.eventId("Last-Event-ID", text)).isNull();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"0", "42", "999999999999999999", "1234567890123456789", "9223372036854775807"})
  void acceptsPlainCursorsUpToTheLargestLong(String text) {
    assertThat(Params.eventId("after", text)).isEqualTo(Long.parseLong(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {" 42", "42 ", "\t42\t", "  42 "})
  void ignoresBlanksAroundACursorOnBothSides(String text) {
    assertThat(Params.eventId("Last-Event-ID", text)).isEqualTo(42L);
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "1001", "-1", "x", "10000", "99999"})
  void refusesLimitsOutsideOneToAThousand(String text) {
    assertThatThrownBy(() -> Params.limit(text))
        .isInstanceOf(ApiError.class)
        .hasMessage("limit must be an integer from 1 to 1000");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1", "100", "1000"})
  void acceptsLimitsFromOneToAThousand(String text) {
    assertThat(Params.limit(text)).isEqualTo(Integer.parseInt(text));
  }
}
