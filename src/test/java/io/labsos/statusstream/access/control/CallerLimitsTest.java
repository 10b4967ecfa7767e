package io.labsos.statusstream.access.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import org.junit.jupiter.api.Test;

class CallerLimitsTest {

  private static CallerLimits limits(int streams, int polls) {
    var limits = new CallerLimits();
    limits.maxStreams = streams;
    limits.maxPolls = polls;
    return limits;
  }

  @Test
  void aUserBeyondTheStreamLimitIsToldToRetryInTenSeconds() {
    var limits = limits(2, 4);
    limits.stream("ann");
    limits.stream("ann");
    assertThatThrownBy(() -> limits.stream("ann"))
        .isInstanceOfSatisfying(
            LimitReached.class,
            reached -> {
              assertThat(reached.limit()).isEqualTo(LimitReached.Limit.STREAMS);
              assertThat(reached.retryAfterSeconds()).isEqualTo(10);
            });
    // Another user, and the same user's polls, are not affected.
    limits.stream("bob");
    limits.poll("ann");
  }

  @Test
  void aUserBeyondThePollLimitIsToldToRetryInASecond() {
    var limits = limits(16, 1);
    try (var first = limits.poll("ann")) {
      assertThatThrownBy(() -> limits.poll("ann"))
          .isInstanceOfSatisfying(
              LimitReached.class,
              reached -> {
                assertThat(reached.limit()).isEqualTo(LimitReached.Limit.POLLS);
                assertThat(reached.retryAfterSeconds()).isEqualTo(1);
              });
    }
    limits.poll("ann").close();
  }

  @Test
  void closingASlotTwiceGivesBackOneUnit() {
    var limits = limits(2, 4);
    var slots = new ArrayList<CallerLimits.Slot>();
    slots.add(limits.stream("ann"));
    slots.add(limits.stream("ann"));
    var first = slots.get(0);
    first.close();
    first.close();
    limits.stream("ann");
    assertThatThrownBy(() -> limits.stream("ann")).isInstanceOf(LimitReached.class);
  }
}
