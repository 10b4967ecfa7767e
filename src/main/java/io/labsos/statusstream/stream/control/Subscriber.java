package io.labsos.statusstream.stream.control;

import io.labsos.statusstream.access.control.Caller;
import io.labsos.statusstream.events.control.EventLog;
import io.labsos.statusstream.events.entity.StatusEvent;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One open stream. Live events are queued and written by a drain task on a managed executor, never
 * by the thread that delivers them: a client that stops reading blocks only its own drain (the
 * container's sink write blocks until the socket drains), and once its queue is full it is
 * disconnected and resumes later with Last-Event-ID.
 *
 * <p>A new subscriber first replays the log after its cursor, writing directly; live events that
 * arrive meanwhile are held and then queued, skipping ids it already sent. Ids only grow: nothing
 * is sent twice, and nothing is skipped because every id a live event skips over was in the log
 * when the replay read it.
 */
public final class Subscriber {

  private static final Logger LOG = Logger.getLogger(Subscriber.class.getName());
  private static final int REPLAY_BATCH = 500;

  private final UUID project;
  private final Caller caller;
  private final SseEventSink sink;
  private final Sse sse;
  private final Executor writer;
  private final int capacity;
  private final long writeTimeoutMillis;
  private final Consumer<Subscriber> onClose;
  private final StreamMetrics metrics;

  /** A write waiting in the queue; {@code createdAt} is null for comments. */
  private record Frame(OutboundSseEvent event, Instant createdAt, boolean probe) {
    Frame(OutboundSseEvent event, Instant createdAt) {
      this(event, createdAt, false);
    }
  }

  private final Queue<Frame> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicBoolean draining = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean closeWhenDrained;

  /** The last write of any kind, and the last event or keep-alive (probes not counted). */
  private volatile long lastWriteNanos = System.nanoTime();

  private volatile long lastFrameNanos = lastWriteNanos;

  /** When the write in progress started, or 0: what the heartbeat checks against the timeout. */
  private volatile long pendingSinceNanos;

  // Guarded by this: the last id queued or written, and live events held while replaying.
  private long cursor;
  private List<StatusEvent> held = new ArrayList<>();
  private boolean heldOverflowed;

  Subscriber(
      UUID project,
      Caller caller,
      SseEventSink sink,
      Sse sse,
      Executor writer,
      int capacity,
      long writeTimeoutMillis,
      StreamMetrics metrics,
      Consumer<Subscriber> onClose) {
    this.project = project;
    this.caller = caller;
    this.sink = sink;
    this.sse = sse;
    this.writer = writer;
    this.capacity = capacity;
    // The container's write timeout (httpOptions writeTimeout) ends a blocked write; waiting for
    // the send to complete is bounded further only as a safety net, well past it, so a send that
    // completes late is never mistaken for a stalled client.
    this.writeTimeoutMillis = 2 * writeTimeoutMillis + 30_000;
    this.metrics = metrics;
    this.onClose = onClose;
  }

  public UUID project() {
    return project;
  }

  public Caller caller() {
    return caller;
  }

  public boolean isClosed() {
    return closed.get();
  }

  /** Writes at once, from the request thread, before the subscriber goes live. */
  public void writeNow(OutboundSseEvent event) {
    if (closed.get()) {
      return;
    }
    try {
      send(event);
    } catch (Exception e) {
      close("write failed: " + e.getClass().getSimpleName());
    }
  }

  /**
   * Replays every event after {@code from}, then goes live: held live events are queued in id
   * order, skipping what the replay sent.
   */
  public void replayThenGoLive(long from, EventLog log) throws SQLException {
    long position = from;
    while (!closed.get()) {
      var batch = log.after(project, position, REPLAY_BATCH);
      for (var event : batch) {
        writeNow(frame(event));
        metrics.replayed();
        position = event.id();
      }
      if (batch.size() == REPLAY_BATCH) {
        continue;
      }
      synchronized (this) {
        cursor = Math.max(cursor, position);
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
    }
  }

  /** A live event of this project, in id order (from the listener's thread: must not block). */
  public synchronized void deliver(StatusEvent event) {
    if (held != null) {
      if (held.size() < capacity) {
        held.add(event);
      } else {
        heldOverflowed = true;
      }
      return;
    }
    queueIfNew(event);
  }

  private void queueIfNew(StatusEvent event) {
    if (event.id() <= cursor) {
      return;
    }
    cursor = event.id();
    queue(new Frame(frame(event), event.createdAt()));
  }

  /**
   * Called every half heartbeat interval: a keep-alive comment when no event or keep-alive went out
   * for a heartbeat interval, else an empty comment when nothing at all was written for half of
   * one; the end of the stream once the token has expired.
   *
   * <p>The empty comment is how a dropped client is noticed within one heartbeat interval: the
   * first write after the client went away still succeeds (the peer answers it with a reset), and
   * only the next one fails; an idle stream is written to every half interval.
   */
  void tick(Instant now, long heartbeatNanos) {
    if (closed.get()) {
      return;
    }
    synchronized (this) {
      if (held != null) {
        return; // still replaying: its writes keep the connection busy
      }
    }
    long nanos = System.nanoTime();
    long pending = pendingSinceNanos;
    if (pending != 0 && nanos - pending > TimeUnit.MILLISECONDS.toNanos(writeTimeoutMillis)) {
      metrics.slowClientDisconnected();
      close("write timed out");
      return;
    }
    if (!now.isBefore(caller.expiresAt())) {
      closeWhenDrained = true;
      queue(new Frame(sse.newEventBuilder().comment("token expired").build(), null));
      return;
    }
    if (nanos - lastFrameNanos >= heartbeatNanos * 9 / 10) {
      queue(new Frame(sse.newEventBuilder().comment("keepalive").build(), null));
    } else if (nanos - lastWriteNanos >= heartbeatNanos * 4 / 10) {
      queue(new Frame(sse.newEventBuilder().comment("").build(), null, true));
    }
  }

  private OutboundSseEvent frame(StatusEvent event) {
    return sse.newEventBuilder().id(Long.toString(event.id())).data(event.json()).build();
  }

  private void queue(Frame frame) {
    if (closed.get()) {
      return;
    }
    if (queued.incrementAndGet() > capacity) {
      metrics.slowClientDisconnected();
      close("slow consumer: more than " + capacity + " events waiting");
      return;
    }
    queue.add(frame);
    scheduleDrain();
  }

  private void scheduleDrain() {
    if (draining.compareAndSet(false, true)) {
      submitDrain();
    }
  }

  /** Runs the drain on the writer; the caller holds {@code draining}. */
  private void submitDrain() {
    try {
      writer.execute(this::drain);
    } catch (RejectedExecutionException e) {
      draining.set(false);
      close("server stopping");
    }
  }

  /** A write from the request thread, which waits for it (bounded, as a safety net). */
  private void send(OutboundSseEvent event) throws Exception {
    sink.send(event).toCompletableFuture().get(writeTimeoutMillis, TimeUnit.MILLISECONDS);
    written(false);
  }

  private void written(boolean probe) {
    lastWriteNanos = System.nanoTime();
    if (!probe) {
      lastFrameNanos = lastWriteNanos;
    }
  }

  /**
   * Writes the queued frames in order. A write that does not complete at once is never waited for
   * on the thread: its completion continues the drain. On Liberty such a completion needs a thread
   * of the same pool, so a drain that blocked on it would hold the thread that could finish it; a
   * few hundred dropped clients then starved every request of a thread.
   */
  private void drain() {
    long started = System.nanoTime();
    try {
      Frame frame;
      while (!closed.get() && (frame = queue.poll()) != null) {
        queued.decrementAndGet();
        started = System.nanoTime();
        var done = sink.send(frame.event()).toCompletableFuture();
        if (!done.isDone()) {
          pendingSinceNanos = started;
          continueWhenWritten(done, frame, started);
          return; // still draining: the completion goes on
        }
        done.join();
        written(frame);
      }
      if (closeWhenDrained && queue.isEmpty()) {
        close("token expired");
      }
    } catch (RuntimeException e) {
      failed(e, started);
    }
    draining.set(false);
    if (!closed.get() && !queue.isEmpty()) {
      scheduleDrain();
    }
  }

  private void continueWhenWritten(CompletableFuture<?> done, Frame frame, long started) {
    done.whenComplete(
        (ignored, failure) -> {
          pendingSinceNanos = 0;
          if (failure != null) {
            failed(failure, started);
            draining.set(false);
            return;
          }
          written(frame);
          submitDrain();
        });
  }

  private void written(Frame frame) {
    written(frame.probe());
    if (frame.createdAt() != null) {
      metrics.delivered(frame.createdAt());
    }
  }

  /**
   * A write failed. One that failed after a while hit the container's write timeout: the client
   * stopped reading. One that failed at once found the client gone.
   */
  private void failed(Throwable failure, long started) {
    if (System.nanoTime() - started > TimeUnit.SECONDS.toNanos(1)) {
      metrics.slowClientDisconnected();
    }
    var cause =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    close("write failed: " + cause.getClass().getSimpleName());
  }

  /** Ends the stream; the sink is closed on the writer, never on the caller's thread. */
  public void close(String reason) {
    if (markClosed(reason)) {
      try {
        writer.execute(this::closeSink);
      } catch (RejectedExecutionException e) {
        closeSink();
      }
    }
  }

  /**
   * Ends the stream on this thread: for server shutdown, where a task handed to the executor might
   * never run and leave the response open.
   */
  void closeNow(String reason) {
    if (markClosed(reason)) {
      closeSink();
    }
  }

  private boolean markClosed(String reason) {
    if (!closed.compareAndSet(false, true)) {
      return false;
    }
    LOG.log(Level.FINE, "Stream of project {0} closed: {1}", new Object[] {project, reason});
    queue.clear();
    onClose.accept(this);
    return true;
  }

  private void closeSink() {
    try {
      sink.close();
    } catch (Exception ignored) {
      // The client is gone already.
    }
  }
}
