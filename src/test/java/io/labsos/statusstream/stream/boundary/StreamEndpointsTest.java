package io.labsos.statusstream.stream.boundary;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StreamEndpointsTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        " ",
        "text/event-stream",
        "TEXT/Event-Stream",
        "text/event-stream;charset=utf-8",
        "application/json, text/event-stream",
        "text/*",
        "*/*",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
      })
  void anAcceptThatNamesTheStreamOrAnythingTakesIt(String accept) {
    assertThat(StreamEndpoints.acceptsEventStream(accept)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"application/json", "text/html, application/xml;q=0.9", "image/*"})
  void anAcceptThatNamesOnlyOtherTypesDoesNot(String accept) {
    assertThat(StreamEndpoints.acceptsEventStream(accept)).isFalse();
  }

  @org.junit.jupiter.api.Test
  void noAcceptTakesAnything() {
    assertThat(StreamEndpoints.acceptsEventStream(null)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/api/projects/status",
        "/api/projects//status",
        "/api/projects/a/b/status",
        "/api/projects/a/events",
        "/api/projects/a/status/",
        "/api/projectsa/status",
        "/api/status"
      })
  void onlyOneSegmentBetweenProjectsAndStatusNamesAProjectsStream(String path) {
    assertThat(StreamEndpoints.projectOf(path)).isNull();
  }

  @org.junit.jupiter.api.Test
  void theSegmentIsTheProjectAsTheClientWroteIt() {
    assertThat(StreamEndpoints.projectOf("/api/projects/not-a-uuid/status"))
        .isEqualTo("not-a-uuid");
  }
}
