package io.labsos.statusstream.stream.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.labsos.statusstream.events.entity.StatusEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class SubscriberTest {

  private static final UUID PROJECT = UUID.randomUUID();

  /** The project's log, in memory; {@code onRead} runs before each read answers. */
  private final List<StatusEvent> log = new ArrayList<>();

  private Runnable onRead = () -> {};
  private int reads;

  private final Subscriber.Log reader =
      new Subscriber.Log() {
        @Override
        public List<StatusEvent> after(UUID project, long afterId, int limit) {
          reads++;
          onRead.run();
          return log.stream().filter(e -> e.id() > afterId).limit(limit).toList();
        }

        @Override
        public long head(UUID project) {
          return log.isEmpty() ? 0 : log.get(log.size() - 1).id();
        }
      };

  private final FakeWire wire = new FakeWire();

  private StatusEvent append() {
    long prev = log.isEmpty() ? 0 : log.get(log.size() - 1).id();
    var event =
        new StatusEvent(PROJECT, prev + 10, prev, "{\"n\":" + (prev + 10) + "}", Instant.now());
    log.add(event);
    return event;
  }

  private Subscriber subscriber(int capacity) {
    var outbox = new Outbox(Runnable::run, capacity, new Outbox.Observer() {});
    var subscriber =
        new Subscriber(
            PROJECT, outbox, new SingleChannel(outbox), reader, Runnable::run, capacity, () -> {});
    outbox.attach(wire);
    outbox.writable();
    return subscriber;
  }

  private List<Long> idsWritten() {
    var ids = new ArrayList<Long>();
    var matcher = Pattern.compile("id: ([0-9]+)\ndata: \\{\"n\"").matcher(wire.text());
    while (matcher.find()) {
      ids.add(Long.parseLong(matcher.group(1)));
    }
    return ids;
  }

  private static Encoded live(StatusEvent event) {
    return new Encoded(event);
  }

  @Test
  void replaysThenGoesLiveWithoutSendingAHeldEventTwice() throws Exception {
    var subscriber = subscriber(100);
    for (int i = 0; i < 3; i++) {
      append();
    }
    // Committed while the replay reads: the replay finds it, and it is also held.
    onRead =
        () -> {
          if (log.size() == 3) {
            var late = append();
            subscriber.deliver(live(late));
          }
        };
    subscriber.start(0, 30);
    var after = append();
    subscriber.deliver(live(after));
    assertThat(idsWritten()).containsExactly(10L, 20L, 30L, 40L, 50L);
  }

  @Test
  void heldEventsThatOverflowAreReadFromTheLogInstead() throws Exception {
    var subscriber = subscriber(2);
    append();
    onRead =
        () -> {
          if (reads == 1) {
            for (int i = 0; i < 3; i++) {
              var event = append();
              subscriber.deliver(live(event));
            }
          }
        };
    subscriber.start(0, 10);
    assertThat(reads).as("a second read for what was dropped").isGreaterThanOrEqualTo(2);
    assertThat(idsWritten()).containsExactly(10L, 20L, 30L, 40L);
  }

  @Test
  void aLongReplayReadsItsNextBatchOnlyOnceTheClientTookTheLast() throws Exception {
    for (int i = 0; i < Subscriber.REPLAY_BATCH + 10; i++) {
      append();
    }
    wire.full = true;
    var subscriber = subscriber(Subscriber.REPLAY_BATCH * 2);
    wire.full = true;
    subscriber.start(0, reader.head(PROJECT));
    assertThat(reads).isOne();
    wire.full = false;
    subscriber.outbox().writable();
    assertThat(reads).isEqualTo(2);
    assertThat(idsWritten()).hasSize(Subscriber.REPLAY_BATCH + 10);
  }

  @Test
  void aGapInTheLogDuringTheReplayGetsResyncRequiredAndGoesOnFromTheHead() throws Exception {
    var subscriber = subscriber(100);
    for (int i = 0; i < 3; i++) {
      append();
    }
    // Purged between the position check and the read: the first event no longer follows 10.
    log.remove(0);
    log.remove(0);
    subscriber.start(10, 30);
    assertThat(wire.text()).startsWith("id: 30\ndata: {\"type\":\"resync_required\"}\n\n");
    var next = append();
    subscriber.deliver(live(next));
    assertThat(idsWritten()).containsExactly(40L);
  }

  @Test
  void aRewindToAPositionBelowTheStreamsResyncsThereAndGoesOnFromIt() throws Exception {
    var subscriber = subscriber(100);
    append();
    append();
    subscriber.start(0, 20);
    // A restore whose clock is behind: the head went back to 10, and new ids reuse positions.
    subscriber.rewound(10);
    assertThat(wire.text()).endsWith("\n\nid: 10\ndata: {\"type\":\"resync_required\"}\n\n");
    var next = new StatusEvent(PROJECT, 15, 10, "{\"n\":15}", Instant.now());
    subscriber.deliver(live(next));
    assertThat(idsWritten()).containsExactly(10L, 20L, 15L);
  }

  @Test
  void aStreamThatStartsAtTheHeadReadsNothingAndTakesWhatWasHeldAfterIt() throws Exception {
    var subscriber = subscriber(100);
    append();
    append();
    // Committed after the subscriber was registered: held, one of them already below the head.
    var seen = append();
    subscriber.deliver(live(seen));
    var next = append();
    subscriber.deliver(live(next));
    subscriber.start(30, 30);
    assertThat(reads).isZero();
    assertThat(idsWritten()).containsExactly(40L);
  }

  @Test
  void aLiveEventThatDoesNotContinueThePositionIsReadFromTheLogInOrder() throws Exception {
    var subscriber = subscriber(100);
    append();
    subscriber.start(10, 10);
    // 20 was not delivered live (a commit decoded before it was visible); 30 names it.
    append();
    var third = append();
    subscriber.deliver(live(third));
    assertThat(idsWritten()).containsExactly(20L, 30L);
    assertThat(subscriber.isClosed()).isFalse();
  }

  @Test
  void aGapTheLogDoesNotFillEndsTheStream() throws Exception {
    var subscriber = subscriber(100);
    append();
    subscriber.start(10, 10);
    var beyond = new StatusEvent(PROJECT, 30, 20, "{\"n\":30}", Instant.now());
    subscriber.deliver(live(beyond));
    assertThat(subscriber.isClosed()).isTrue();
    assertThat(idsWritten()).isEmpty();
  }

  @Test
  void theProjectsDeletionEndsTheStreamAndNothingAfterItIsSent() throws Exception {
    var subscriber = subscriber(100);
    append();
    subscriber.start(10, 10);
    var deleted = new StatusEvent(PROJECT, 20, 10, StatusEvent.DELETED, Instant.now());
    subscriber.deliver(live(deleted));
    var recreated = new StatusEvent(PROJECT, 30, 20, "{\"n\":30}", Instant.now());
    subscriber.deliver(live(recreated));
    assertThat(subscriber.isClosed()).isTrue();
    assertThat(wire.text()).doesNotContain("project_deleted").doesNotContain("\"n\":30");
  }

  @Test
  void aDeletionMetWhileReplayingEndsTheStreamWhenItCameAfterTheCallerWasAuthorized()
      throws Exception {
    append();
    log.add(new StatusEvent(PROJECT, 20, 10, StatusEvent.DELETED, Instant.now()));
    append();
    var subscriber = subscriber(100);
    subscriber.start(0, 10);
    assertThat(subscriber.isClosed()).isTrue();
    assertThat(idsWritten()).containsExactly(10L);
  }

  @Test
  void aDeletionBeforeTheCallerWasAuthorizedResyncsToTheProjectReCreatedSince() throws Exception {
    append();
    log.add(new StatusEvent(PROJECT, 20, 10, StatusEvent.DELETED, Instant.now()));
    append();
    var subscriber = subscriber(100);
    subscriber.start(0, 30);
    assertThat(subscriber.isClosed()).isFalse();
    assertThat(wire.text()).contains("id: 20\ndata: {\"type\":\"resync_required\"}");
    assertThat(idsWritten()).containsExactly(10L, 30L);
  }

  @Test
  void aBufferSmallerThanAReplayBatchStillResumesALongHistory() throws Exception {
    for (int i = 0; i < 200; i++) {
      append();
    }
    var subscriber = subscriber(10);
    subscriber.start(0, reader.head(PROJECT));
    assertThat(subscriber.isClosed()).isFalse();
    assertThat(idsWritten()).hasSize(200);
  }

  @Test
  void aTooSlowClientIsDisconnected() throws Exception {
    var subscriber = subscriber(2);
    subscriber.start(0, 0);
    wire.full = true;
    for (int i = 0; i < 3; i++) {
      var event = append();
      subscriber.deliver(live(event));
    }
    assertThat(subscriber.isClosed()).isTrue();
  }
}
