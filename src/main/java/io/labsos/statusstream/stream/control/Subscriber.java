package io.labsos.statusstream.stream.control;

import io.labsos.statusstream.access.control.Caller;
import io.labsos.statusstream.events.entity.StatusEvent;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The order of one stream: what it replays from the log, which live events it takes, and the
 * position it has reached. Its bytes go through its {@link Outbox}.
 *
 * <p>A new subscriber is registered (and holds live events) before anything is read, then replays
 * the log after its position in batches, each read only once the client took most of the one before
 * (so a slow client is held to the same buffer limit and write timeout as live delivery, and no
 * thread waits on it). When a read comes back short, it goes live: held events are queued in id
 * order, skipping what the replay sent. Ids only grow: nothing is sent twice, and nothing is
 * skipped, because every event a held one skips over was in the log when the replay read it. If
 * more than {@code capacity} live events arrive during a replay, the held ones are dropped and the
 * replay reads on from the log, where they are. Every read checks that the log continues the
 * position (the first event names it as its predecessor): a gap, a purge that came between, gets
 * {@code resync_required}, never silence.
 *
 * <p>Threads: {@link #start} runs the first read on the request's thread, later reads run on the
 * replay executor; {@link #deliver} and {@link #rewound} come from the listener's thread, {@link
 * #tick} from the heartbeat. The ordering state is guarded by this object's lock, which is never
 * held while reading the log, and the outbox never calls back into it under its own state: lock
 * order is subscriber, then the outbox's queue (lock-free).
 */
final class Subscriber {

  static final int REPLAY_BATCH = 500;

  /** What a replay reads. */
  interface Log {
    List<StatusEvent> after(UUID project, long afterId, int limit) throws SQLException;

    /** The project's newest id, 0 when it has none. */
    long head(UUID project) throws SQLException;
  }

  private final UUID project;
  private final Caller caller;
  private final Outbox outbox;
  private final Log log;
  private final Executor replays;
  private final int capacity;
  private final Runnable onReplayed;

  // Guarded by this: the last id queued, live events held while replaying (null once live), and
  // whether more arrived than could be held.
  private long cursor;
  private List<StatusEvent> held = new ArrayList<>();
  private boolean heldOverflowed;

  /** Where the replay stands; replay threads only, one at a time. */
  private long replayed;

  Subscriber(
      UUID project,
      Caller caller,
      Outbox outbox,
      Log log,
      Executor replays,
      int capacity,
      Runnable onReplayed) {
    this.project = project;
    this.caller = caller;
    this.outbox = outbox;
    this.log = log;
    this.replays = replays;
    this.capacity = capacity;
    this.onReplayed = onReplayed;
  }

  UUID project() {
    return project;
  }

  Caller caller() {
    return caller;
  }

  Outbox outbox() {
    return outbox;
  }

  boolean isClosed() {
    return outbox.isClosed();
  }

  /** Queues a frame before the replay starts (connected, resync). */
  void offer(Frame frame) {
    outbox.offer(frame);
  }

  /**
   * Replays every event after {@code from}, then goes live. The first batch is read on this thread.
   *
   * @throws SQLException when the first read fails (the stream has not started: the caller answers
   *     with an error)
   */
  void start(long from) throws SQLException {
    synchronized (this) {
      cursor = from;
    }
    replayed = from;
    readBatch();
  }

  /** Reads the next batch after {@link #replayed}; queues it; arranges what comes next. */
  private void readBatch() throws SQLException {
    if (outbox.isClosed()) {
      return;
    }
    var batch = log.after(project, replayed, REPLAY_BATCH);
    if (!batch.isEmpty() && batch.get(0).prevId() != replayed) {
      // The events after the position are gone (purged since it was checked, or history changed).
      long head = log.head(project);
      outbox.offer(Frame.resyncRequired(head > replayed ? head : 0));
      replayed = head;
      synchronized (this) {
        cursor = head;
      }
      continueReplay();
      return;
    }
    for (var event : batch) {
      outbox.offer(Frame.replayed(event));
      onReplayed.run();
      replayed = event.id();
    }
    if (batch.size() == REPLAY_BATCH) {
      outbox.whenBelow(REPLAY_BATCH / 4, this::continueReplay);
      return;
    }
    synchronized (this) {
      cursor = Math.max(cursor, replayed);
      if (!heldOverflowed) {
        var live = held;
        held = null;
        live.forEach(this::queueIfNew);
        return;
      }
      // Too much arrived while replaying: what was dropped is in the log, read it from there.
      held.clear();
      heldOverflowed = false;
    }
    continueReplay();
  }

  /** The next read, on the replay executor. */
  private void continueReplay() {
    try {
      replays.execute(
          () -> {
            try {
              readBatch();
            } catch (SQLException | RuntimeException e) {
              outbox.close("replay failed: " + e.getClass().getSimpleName());
            }
          });
    } catch (RejectedExecutionException e) {
      outbox.close("server stopping");
    }
  }

  /** A live event of this project, in id order (from the listener's thread: must not block). */
  synchronized void deliver(StatusEvent event, Frame frame) {
    if (held != null) {
      if (held.size() < capacity) {
        held.add(event);
      } else {
        heldOverflowed = true;
      }
      return;
    }
    if (event.id() > cursor) {
      cursor = event.id();
      outbox.offer(frame);
    }
  }

  private void queueIfNew(StatusEvent event) {
    if (event.id() > cursor) {
      cursor = event.id();
      outbox.offer(Frame.live(event));
    }
  }

  /**
   * The project's log no longer continues what was sent: the client refetches and the stream goes
   * on from {@code position}. A stream still replaying ends instead (it resumes, and learns the
   * same when it opens again).
   */
  synchronized void rewound(long position) {
    if (held != null) {
      outbox.close("history changed during replay");
      return;
    }
    // An id lower than one already sent would break the stream's order: then none is given, and
    // a client that resumes from its old id is told to resync again, with the position. The ids
    // that follow a rewind come from a later clock than the lost ones: above the cursor.
    outbox.offer(Frame.resyncRequired(position > cursor ? position : 0));
    cursor = Math.max(cursor, position);
  }

  void close(String reason) {
    outbox.close(reason);
  }
}
