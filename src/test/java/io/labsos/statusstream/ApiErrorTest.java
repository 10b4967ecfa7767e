package io.labsos.statusstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.labsos.statusstream.access.control.AccessDenied;
import io.labsos.statusstream.access.control.KeysUnavailable;
import io.labsos.statusstream.access.control.LimitReached;
import io.labsos.statusstream.access.control.Unauthenticated;
import io.labsos.statusstream.stream.control.NoRoomForStream;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApiErrorTest {

  private static ApiError answer(RuntimeException failure) {
    return ApiError.of(failure).orElseThrow();
  }

  @Test
  void anUnauthenticatedCallerIsAskedForABearerToken() {
    var error = answer(new Unauthenticated("The token is too large"));
    assertThat(error.status().getStatusCode()).isEqualTo(401);
    assertThat(error.json())
        .isEqualTo("{\"error\":\"unauthorized\",\"message\":\"The token is too large\"}");
    assertThat(error.headers()).isEqualTo(Map.of("WWW-Authenticate", "Bearer"));
  }

  @Test
  void aDeniedCallerLearnsNothingAboutTheProject() {
    var error = answer(new AccessDenied());
    assertThat(error.status().getStatusCode()).isEqualTo(403);
    assertThat(error.json())
        .isEqualTo(
            "{\"error\":\"forbidden\",\"message\":\"You are not a member of this project, or it"
                + " does not exist\"}");
    assertThat(error.headers()).isEmpty();
  }

  @Test
  void missingKeysAreUnavailableWithRetryAfter() {
    var error = answer(new KeysUnavailable());
    assertThat(error.status().getStatusCode()).isEqualTo(503);
    assertThat(error.error()).isEqualTo("unavailable");
    assertThat(error.getMessage()).isEqualTo(KeysUnavailable.UNAVAILABLE);
    assertThat(error.headers()).isEqualTo(Map.of("Retry-After", "5"));
  }

  @Test
  void eachLimitKeepsItsCodeMessageAndRetryAfter() {
    var streams = answer(new LimitReached(LimitReached.Limit.STREAMS, 10));
    assertThat(streams.status().getStatusCode()).isEqualTo(429);
    assertThat(streams.json())
        .isEqualTo(
            "{\"error\":\"too_many_streams\",\"message\":\"Too many open streams for this user\"}");
    assertThat(streams.headers()).isEqualTo(Map.of("Retry-After", "10"));

    var polls = answer(new LimitReached(LimitReached.Limit.POLLS, 1));
    assertThat(polls.json())
        .isEqualTo(
            "{\"error\":\"too_many_requests\",\"message\":\"Too many polling requests at once for"
                + " this user\"}");
    assertThat(polls.headers()).isEqualTo(Map.of("Retry-After", "1"));
  }

  @Test
  void noRoomForAStreamIsUnavailableWithItsRetryAfter() {
    var full = answer(new NoRoomForStream(10));
    assertThat(full.status().getStatusCode()).isEqualTo(503);
    assertThat(full.json())
        .isEqualTo(
            "{\"error\":\"unavailable\",\"message\":\"This instance has no room for another"
                + " stream; try again later\"}");
    assertThat(full.headers()).isEqualTo(Map.of("Retry-After", "10"));
  }

  @Test
  void anyOtherFailureIsNoRefusal() {
    assertThat(ApiError.of(new IllegalStateException("bug"))).isEmpty();
    var own = ApiError.badRequest("projectId must be a UUID");
    assertThat(ApiError.of(own)).containsSame(own);
  }
}
