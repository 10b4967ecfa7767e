package io.labsos.statusstream.stream.control;

import io.labsos.statusstream.events.entity.StatusEvent;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The order of one project in one stream: what it replays from the log, which live events it takes,
 * and the position it has reached. Its frames go through its {@link Channel} into the stream's
 * {@link Outbox}; a stream of several projects has one subscriber per project.
 *
 * <p>A new subscriber is registered (and holds live events) before anything is read, then replays
 * the log after its position in batches, each read only once the client took most of the one before
 * (so a slow client is held to the same buffer limit and write timeout as live delivery, and no
 * thread waits on it). When a read comes back short, it goes live: held events are taken in id
 * order, skipping what the replay sent. If more than {@code capacity} live events arrive during a
 * replay, the held ones are dropped and the replay reads on from the log, where they are.
 *
 * <p>Every event this stream sends continues its own position, whoever delivers it: a replayed
 * batch whose first event does not name the position gets {@code resync_required} (what followed
 * was purged); a live event that does not name it means something in between was not delivered to
 * this instance's streams yet (a commit decoded before it was visible), and the stream reads the
 * log from its position again (if the log still does not have it, the stream ends and its client
 * resumes). A project's deletion entry ends the stream when the project was deleted after the
 * caller was authorized ({@code authorizedAt}, the head when it was); an older one, met while
 * replaying, means the caller was authorized for the project re-created since: it gets {@code
 * resync_required} there and goes on. So a stream never carries one project's events into another
 * project of the same id.
 *
 * <p>Threads: {@link #start} runs the first read on the request's thread, later reads run on the
 * replay executor; {@link #deliver} and {@link #rewound} come from the listener's thread, {@link
 * #close} from anywhere. The ordering state is guarded by this object's lock, which is never held
 * while reading the log, and the outbox never calls back into it under its own state: lock order is
 * subscriber, then the outbox's queue (lock-free). At most one replay runs at a time: one starts
 * only while live (no replay running) or from the one before.
 */
final class Subscriber {

  static final int REPLAY_BATCH = 500;

  /** How this project's frames go into the stream: for one project, or tagged for several. */
  interface Channel {
    /** A live event, as encoded once for every stream that carries it. */
    void event(Encoded event);

    /** An event read from the log for this stream alone. */
    void replayed(StatusEvent event);

    /** {@code resync_required}, the stream going on from {@code position}. */
    void resync(long position);
  }

  /** What a replay reads. */
  interface Log {
    List<StatusEvent> after(UUID project, long afterId, int limit) throws SQLException;

    /** The project's newest id, 0 when it has none. */
    long head(UUID project) throws SQLException;
  }

  private final UUID project;
  private final Outbox outbox;
  private final Channel channel;
  private final Log log;
  private final Executor replays;
  private final int capacity;
  private final int batch;
  private final Runnable onReplayed;

  // Guarded by this: the last id queued, live events held while replaying (null once live), and
  // whether more arrived than could be held; where a replay for a gap started (or -1).
  private long cursor;
  private List<StatusEvent> held = new ArrayList<>();
  private boolean heldOverflowed;
  private long gapAt = -1;

  /** The project's head when the caller was authorized: deletions after it end the stream. */
  private volatile long authorizedAt;

  /** Where the replay stands; replay threads only, one at a time. */
  private long replayed;

  Subscriber(
      UUID project,
      Outbox outbox,
      Channel channel,
      Log log,
      Executor replays,
      int capacity,
      Runnable onReplayed) {
    this.project = project;
    this.outbox = outbox;
    this.channel = channel;
    this.log = log;
    this.replays = replays;
    this.capacity = capacity;
    // A batch never fills the client's buffer on its own: the next is read below a quarter of it.
    this.batch = Math.max(1, Math.min(REPLAY_BATCH, capacity / 2));
    this.onReplayed = onReplayed;
  }

  UUID project() {
    return project;
  }

  Outbox outbox() {
    return outbox;
  }

  boolean isClosed() {
    return outbox.isClosed();
  }

  /** {@code resync_required} before the replay starts: the client's position is not continued. */
  void resyncFirst(long position) {
    channel.resync(position);
  }

  /**
   * Replays every event after {@code from}, then goes live. The first batch is read on this thread;
   * a stream that starts at the head has nothing to read (it was registered before the head was
   * read: what comes after is held for it) and goes live at once.
   *
   * @param authorizedAt the project's head when the caller was authorized for it, read after this
   *     subscriber was registered
   * @throws SQLException when the first read fails (the stream has not started: the caller answers
   *     with an error)
   */
  void start(long from, long authorizedAt) throws SQLException {
    this.authorizedAt = authorizedAt;
    synchronized (this) {
      cursor = from;
    }
    replayed = from;
    if (from == authorizedAt) {
      goLive();
    } else {
      readBatch();
    }
  }

  /** Reads the next batch after {@link #replayed}; queues it; arranges what comes next. */
  private void readBatch() throws SQLException {
    if (outbox.isClosed()) {
      return;
    }
    var events = log.after(project, replayed, batch);
    if (!events.isEmpty() && events.get(0).prevId() != replayed) {
      // The events after the position are gone (purged since it was checked, or history changed).
      long head = log.head(project);
      channel.resync(head);
      replayed = head;
      synchronized (this) {
        cursor = head;
      }
      continueReplay();
      return;
    }
    for (var event : events) {
      if (event.deletion()) {
        if (event.id() > authorizedAt) {
          outbox.close("project deleted");
          return;
        }
        // Deleted before the caller was authorized: what follows is the project it may read.
        channel.resync(event.id());
      } else {
        channel.replayed(event);
        onReplayed.run();
      }
      replayed = event.id();
    }
    if (events.size() == batch) {
      outbox.whenBelow(Math.max(0, batch / 4), this::continueReplay);
      return;
    }
    goLive();
  }

  /** The replay has read everything: the held live events follow it, in id order. */
  private void goLive() {
    List<StatusEvent> live;
    synchronized (this) {
      cursor = Math.max(cursor, replayed);
      if (heldOverflowed) {
        // Too much arrived while replaying: what was dropped is in the log, read it from there.
        held.clear();
        heldOverflowed = false;
        live = null;
      } else {
        live = held;
        held = null;
        for (int i = 0; i < live.size(); i++) {
          if (held != null) {
            held.add(live.get(i)); // a gap started another replay: it holds the rest
          } else {
            take(new Encoded(live.get(i)));
          }
        }
      }
    }
    if (live == null) {
      continueReplay();
    }
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
  synchronized void deliver(Encoded encoded) {
    if (held != null) {
      if (held.size() < capacity) {
        held.add(encoded.event());
      } else {
        heldOverflowed = true;
      }
      return;
    }
    take(encoded);
  }

  /** A live event while live: sent if it continues the stream's position. */
  private void take(Encoded encoded) {
    var event = encoded.event();
    if (event.id() <= cursor) {
      return;
    }
    if (event.prevId() != cursor) {
      if (gapAt == cursor) {
        // Read the log for this gap already and it still does not have what comes between.
        outbox.close("gap in the log at " + cursor);
        return;
      }
      // Not delivered here yet, and in the log (or soon): read it from there, holding this.
      gapAt = cursor;
      held = new ArrayList<>();
      held.add(event);
      replayed = cursor;
      continueReplay();
      return;
    }
    if (event.deletion()) {
      outbox.close("project deleted");
      return;
    }
    cursor = event.id();
    gapAt = -1;
    channel.event(encoded);
  }

  /**
   * The project's log no longer continues what was sent (a restore, a failover): the client
   * refetches and the stream goes on from {@code position}, which the resync carries even when it
   * is not above what was sent (the native EventSource then resumes from there). A stream still
   * replaying ends instead (it resumes, and learns the same when it opens again).
   */
  synchronized void rewound(long position) {
    if (held != null) {
      outbox.close("history changed during replay");
      return;
    }
    channel.resync(position);
    cursor = position;
    gapAt = -1;
  }

  void close(String reason) {
    outbox.close(reason);
  }
}
