package io.labsos.statusstream.stream.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class OutboxTest {

  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  private final List<String> closed = new ArrayList<>();
  private int slow;
  private final Outbox.Observer observer =
      new Outbox.Observer() {
        @Override
        public void slow() {
          slow++;
        }

        @Override
        public void closed(String reason) {
          closed.add(reason);
        }
      };

  private static Frame text(String text) {
    return new Frame(text.getBytes(StandardCharsets.UTF_8), 0);
  }

  private Outbox attached(FakeWire wire, int capacity) {
    var outbox = new Outbox(Runnable::run, capacity, observer);
    outbox.attach(wire);
    outbox.writable(); // the container's first callback
    return outbox;
  }

  @Test
  void framesQueuedBeforeTheResponseStartsLeaveInOneWrite() {
    var outbox = new Outbox(Runnable::run, 10, observer);
    outbox.offer(text("a\n\n"));
    outbox.offer(text("b\n\n"));
    var wire = new FakeWire();
    outbox.attach(wire);
    assertThat(wire.writes).isEmpty();
    outbox.writable();
    assertThat(wire.text()).isEqualTo("a\n\nb\n\n");
    assertThat(wire.writes).hasSize(1);
  }

  @Test
  void theWireIsAskedWhetherItCanTakeAWriteOnlyWhenThereIsOne() {
    // Asking is not free on Liberty; a drain that wrote and found the queue empty just stops.
    var wire = new FakeWire();
    var outbox = attached(wire, 10);
    wire.asked = 0;
    outbox.offer(text("a\n\n"));
    outbox.offer(text("b\n\n"));
    assertThat(wire.text()).isEqualTo("a\n\nb\n\n");
    assertThat(wire.asked).isEqualTo(2);
  }

  @Test
  void aWireThatCannotTakeMoreIsLeftAloneUntilItsCallbackContinuesTheDrain() {
    var wire = new FakeWire();
    var outbox = attached(wire, 10);
    wire.full = true;
    outbox.offer(text("a\n\n"));
    outbox.offer(text("b\n\n"));
    assertThat(wire.text()).isEmpty();
    wire.full = false;
    outbox.writable();
    assertThat(wire.text()).isEqualTo("a\n\nb\n\n");
    assertThat(outbox.queued()).isZero();
  }

  @Test
  void aCallbackThatComesBeforeTheDrainerLetGoIsNotLost() {
    var wire = new FakeWire();
    var outbox = attached(wire, 10);
    wire.full = true;
    wire.onNotReady =
        () -> {
          wire.full = false; // the write completed at once: the callback races the drainer
          wire.onNotReady = () -> {};
          outbox.writable();
        };
    outbox.offer(text("a\n\n"));
    assertThat(wire.text()).isEqualTo("a\n\n");
  }

  @Test
  void moreWaitingThanTheCapacityEndsTheStreamAsSlow() {
    var wire = new FakeWire();
    var outbox = attached(wire, 2);
    wire.full = true;
    outbox.offer(text("1"));
    outbox.offer(text("2"));
    assertThat(outbox.isClosed()).isFalse();
    outbox.offer(text("3"));
    assertThat(outbox.isClosed()).isTrue();
    assertThat(slow).isEqualTo(1);
    assertThat(closed).singleElement().asString().startsWith("slow consumer");
    assertThat(wire.closed).isEqualTo(1);
  }

  @Test
  void aWritePendingLongerThanTheTimeoutEndsTheStreamAsSlow() {
    var wire = new FakeWire();
    var outbox = attached(wire, 10);
    wire.full = true;
    outbox.offer(text("a"));
    long now = System.nanoTime();
    outbox.tick(now, 10 * SECOND, 3 * SECOND);
    assertThat(outbox.isClosed()).isFalse();
    outbox.tick(now + 4 * SECOND, 10 * SECOND, 3 * SECOND);
    assertThat(outbox.isClosed()).isTrue();
    assertThat(slow).isEqualTo(1);
    assertThat(wire.closed).as("completed by the closer: the wire waits for a callback").isOne();
  }

  @Test
  void aFailedWriteEndsTheStreamAndCompletesTheWireOnce() {
    var wire = new FakeWire();
    var outbox = attached(wire, 10);
    wire.failing = true;
    outbox.offer(text("a"));
    assertThat(outbox.isClosed()).isTrue();
    assertThat(closed).singleElement().asString().startsWith("write failed");
    outbox.close("again");
    assertThat(wire.closed).isOne();
  }

  @Test
  void anIdleStreamGetsAProbeAfterHalfAnIntervalAndAKeepaliveAfterOne() {
    var wire = new FakeWire();
    var outbox = attached(wire, 10);
    long start = System.nanoTime();
    outbox.tick(start + SECOND / 10, 10 * SECOND, 30 * SECOND);
    assertThat(wire.text()).isEmpty();
    outbox.tick(start + 5 * SECOND, 10 * SECOND, 30 * SECOND);
    assertThat(wire.text()).isEqualTo(": \n\n");
    outbox.tick(start + 10 * SECOND, 10 * SECOND, 30 * SECOND);
    assertThat(wire.text()).isEqualTo(": \n\n: keepalive\n\n");
  }

  @Test
  void endingAfterTheQueueWritesEverythingFirst() {
    var wire = new FakeWire();
    var outbox = attached(wire, 10);
    wire.full = true;
    outbox.offer(text("a\n\n"));
    outbox.endAfter(Frame.TOKEN_EXPIRED, "token expired");
    assertThat(outbox.isClosed()).isFalse();
    wire.full = false;
    outbox.writable();
    assertThat(wire.text()).isEqualTo("a\n\n: token expired\n\n");
    assertThat(closed).containsExactly("token expired");
    assertThat(wire.closed).isOne();
  }

  @Test
  void aLowWaterActionRunsOnceTheQueueHasDrained() {
    var wire = new FakeWire();
    var outbox = attached(wire, 10);
    wire.full = true;
    for (int i = 0; i < 5; i++) {
      outbox.offer(text("x"));
    }
    int[] runs = {0};
    outbox.whenBelow(1, () -> runs[0]++);
    assertThat(runs[0]).isZero();
    wire.full = false;
    outbox.writable();
    assertThat(runs[0]).isOne();
    outbox.offer(text("y"));
    assertThat(runs[0]).as("once").isOne();
  }

  @Test
  void closingBeforeTheResponseStartedCompletesItWhenItIsAttached() {
    var outbox = new Outbox(Runnable::run, 10, observer);
    outbox.close("failed to start");
    var wire = new FakeWire();
    outbox.attach(wire);
    assertThat(wire.closed).isOne();
  }
}
