package io.labsos.statusstream.access.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CallerLimitsTest {

  /** The refusals counted, in order, instead of at /metrics. */
  private final List<LimitReached.Limit> refused = new ArrayList<>();

  private CallerLimits limits(int streams, int polls) {
    var limits = new CallerLimits();
    limits.maxStreams = streams;
    limits.maxPolls = polls;
    limits.refusals =
        new LimitRefusals() {
          @Override
          void refused(LimitReached.Limit limit) {
            refused.add(limit);
          }
        };
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
    assertThat(refused).containsExactly(LimitReached.Limit.STREAMS);
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
    assertThat(refused).containsExactly(LimitReached.Limit.POLLS);
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
