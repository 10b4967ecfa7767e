package io.labsos.statusstream.stream.control;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The write side of one stream: a bounded queue of frames and one drainer that writes them to a
 * non-blocking {@link Wire}. Whoever queues never writes and never waits: a client that stops
 * reading holds nothing but its own queue, and once more than {@code capacity} frames wait for it,
 * or one write stays pending longer than the write timeout, its stream ends (it resumes later with
 * Last-Event-ID).
 *
 * <p>A drain writes everything queued, then flushes once: under load many frames leave in one
 * write. When the wire cannot take more at once the drain stops, and the wire's callback ({@link
 * #writable()}) continues it on the container's thread: no thread ever waits for a write (on
 * Liberty a write's completion needs a thread of the same pool).
 *
 * <p>Threads and state. {@link #offer}, {@link #tick} and {@link #close} may be called from any
 * thread (listener, heartbeat, request, replay). The wire is used by one thread at a time, the
 * owner of {@code state}: {@code DRAINING} belongs to the thread running {@link #drain} (a writer
 * task or a wire callback); {@code WAITING} means the wire promised a callback; {@code IDLE} means
 * nobody owns it; {@code CLOSED} is final. The transitions are compare-and-set, so exactly one
 * thread drains, and exactly one completes the wire when the stream ends: the closer when the wire
 * is idle or waiting, else the drainer when it next looks. No lock is held while writing.
 */
final class Outbox {

  /** A non-blocking byte sink: the stream's response. Used by one thread at a time. */
  interface Wire {
    /** Whether a write may be made now; when false, the wire calls {@link #writable()} later. */
    boolean ready();

    /**
     * Writes and sends. On Liberty this may block, despite {@link #ready()}, until the client takes
     * the bytes or the container's write timeout ends the connection: the drain runs on an elastic
     * pool, and a write in progress for longer than the timeout ends the stream.
     */
    void write(byte[] bytes, int length) throws IOException;

    /** Ends the response. */
    void close();
  }

  /** What the stream tells the rest of the service. Called on the thread that caused it. */
  interface Observer {
    /**
     * A write went to the wire with {@code events} live events, the oldest appended to the log at
     * {@code oldestCreatedAtMillis}.
     */
    default void written(int events, long oldestCreatedAtMillis) {}

    /** The client did not keep up: too many frames waited, or a write stayed pending too long. */
    default void slow() {}

    /** The stream ended; called once. */
    default void closed(String reason) {}
  }

  private static final int IDLE = 0;
  private static final int DRAINING = 1;
  private static final int WAITING = 2;
  private static final int CLOSED = 3;
  private static final long SECOND_NANOS = 1_000_000_000L;
  private static final int BATCH_BYTES = 64 * 1024;

  private final Executor writers;
  private final int capacity;
  private final Observer observer;
  private final Queue<Frame> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();

  /** Actions waiting for the queue to go down (one per replaying project of the stream). */
  private final Queue<Runnable> lowWaterActions = new ConcurrentLinkedQueue<>();

  private volatile int lowWater;

  /** Until a wire is attached the outbox waits for it, as for a wire callback. */
  private final AtomicInteger state = new AtomicInteger(WAITING);

  private volatile Wire wire;

  /** A callback that came while the drainer still owned the wire (it checks before parking). */
  private volatile boolean signalled;

  /** Ends the stream once everything queued is written (token expired). */
  private volatile boolean endWhenDrained;

  private volatile String endReason;

  /** The last write of any kind, and the last event or keep-alive (probes not counted). */
  private volatile long lastWriteNanos = System.nanoTime();

  private volatile long lastFrameNanos = lastWriteNanos;

  /** Since when the wire has not been able to take a write, or 0. */
  private volatile long pendingSinceNanos;

  /** Since when a write is in progress, or 0: on Liberty a write to a stalled client blocks. */
  private volatile long writingSinceNanos;

  Outbox(Executor writers, int capacity, Observer observer) {
    this.writers = writers;
    this.capacity = capacity;
    this.observer = observer;
  }

  /** Connects the response; the wire calls {@link #writable()} once it can be written. */
  void attach(Wire wire) {
    this.wire = wire;
    if (closed.get()) {
      wire.close(); // closed before it was attached: nobody else will
    }
  }

  boolean isClosed() {
    return closed.get();
  }

  /** Frames waiting to be written. */
  int queued() {
    return queued.get();
  }

  /** Queues a frame; more than {@code capacity} waiting ends the stream as too slow. */
  void offer(Frame frame) {
    if (closed.get()) {
      return;
    }
    if (queued.incrementAndGet() > capacity) {
      observer.slow();
      close("slow consumer: more than " + capacity + " frames waiting");
      return;
    }
    queue.add(frame);
    if (state.compareAndSet(IDLE, DRAINING)) {
      try {
        writers.execute(this::drain);
      } catch (RuntimeException e) {
        // No drain will run: the stream must not stay open and silent.
        state.set(IDLE);
        close(e instanceof RejectedExecutionException ? "server stopping" : "no writer: " + e);
      }
    }
  }

  /**
   * Runs {@code action} once no more than {@code threshold} frames wait: how a replay reads its
   * next batch only when the client has taken the last one. Each action runs once; several may wait
   * at once (the replays of a stream's projects). The action must not block; it runs on the
   * drainer's thread or this one.
   */
  void whenBelow(int threshold, Runnable action) {
    lowWater = threshold;
    lowWaterActions.add(action);
    if (queued.get() <= threshold) {
      runLowWaterActions();
    }
  }

  private void runLowWaterActions() {
    Runnable action;
    while ((action = lowWaterActions.poll()) != null) {
      if (!closed.get()) {
        action.run();
      }
    }
  }

  /** Ends the stream after what is queued now, and {@code last}, are written. */
  void endAfter(Frame last, String reason) {
    if (endWhenDrained) {
      return;
    }
    endReason = reason;
    endWhenDrained = true;
    offer(last);
  }

  /** The wire's callback: it can be written again. */
  void writable() {
    pendingSinceNanos = 0;
    signalled = true;
    if (state.compareAndSet(WAITING, DRAINING)) {
      signalled = false;
      drain();
    }
  }

  /** The wire reports a failed write or a closed connection. */
  void failed(Throwable failure) {
    if (closed.get()) {
      return;
    }
    long pending = Math.max(pendingSinceNanos, writingSinceNanos);
    if (pending != 0 && System.nanoTime() - pending > SECOND_NANOS) {
      observer.slow();
    }
    close("write failed: " + failure.getClass().getSimpleName());
  }

  /**
   * Every half heartbeat interval: ends a stream whose write has been pending past the timeout;
   * queues a keep-alive when no event or keep-alive went out for a heartbeat interval, else an
   * empty comment when nothing at all was written for half of one.
   *
   * <p>The empty comment is how a dropped client is noticed within one heartbeat interval: the
   * first write after the client went away still succeeds (the peer answers it with a reset), and
   * only the next one fails; an idle stream is written to every half interval.
   */
  void tick(long nowNanos, long heartbeatNanos, long writeTimeoutNanos) {
    if (closed.get()) {
      return;
    }
    long pending = Math.max(pendingSinceNanos, writingSinceNanos);
    if (pending != 0 && nowNanos - pending > writeTimeoutNanos) {
      observer.slow();
      close("write timed out");
      return;
    }
    if (nowNanos - lastFrameNanos >= heartbeatNanos * 9 / 10) {
      offer(Frame.KEEPALIVE);
    } else if (nowNanos - lastWriteNanos >= heartbeatNanos * 4 / 10) {
      offer(Frame.PROBE);
    }
  }

  /**
   * Writes until the queue is empty or the wire cannot take more; the caller owns the wire. What is
   * queued leaves in writes of up to {@value #BATCH_BYTES} bytes: under load, many frames per
   * write.
   */
  private void drain() {
    var batch = new Batch();
    try {
      while (true) {
        if (closed.get()) {
          finish();
          return;
        }
        // The wire is asked only when there is something to write, or to end after the last
        // write has left: asking is not free (on Liberty a thread-local lookup), and after a write
        // the queue is most often empty.
        if (!queue.isEmpty() || endWhenDrained) {
          if (!wire.ready()) {
            if (park()) {
              return;
            }
            continue;
          }
          Frame frame;
          while (batch.length < BATCH_BYTES && (frame = queue.poll()) != null) {
            queued.decrementAndGet();
            batch.add(frame);
          }
        }
        if (batch.length > 0) {
          writingSinceNanos = System.nanoTime();
          var bytes = batch.bytes();
          wire.write(bytes, bytes.length);
          writingSinceNanos = 0;
          batch.written();
          if (!lowWaterActions.isEmpty() && queued.get() <= lowWater) {
            runLowWaterActions();
          }
          continue;
        }
        if (endWhenDrained) {
          close(endReason);
          continue;
        }
        state.set(IDLE);
        if (closed.get()) {
          release();
          return;
        }
        if (queue.isEmpty() || !state.compareAndSet(IDLE, DRAINING)) {
          return;
        }
      }
    } catch (IOException | RuntimeException e) {
      long since = writingSinceNanos;
      writingSinceNanos = 0;
      if (!closed.get() && since != 0 && System.nanoTime() - since > SECOND_NANOS) {
        observer.slow(); // the container's write timeout ended a write the client did not take
      }
      close("write failed: " + e.getClass().getSimpleName());
      finish();
    }
  }

  /**
   * The frames of one write: one frame's own bytes, or several copied into one array. Nothing is
   * kept between writes, so an idle stream holds no buffer.
   */
  private final class Batch {
    private final ArrayList<Frame> frames = new ArrayList<>(1);
    int length;

    void add(Frame frame) {
      frames.add(frame);
      length += frame.bytes().length;
    }

    byte[] bytes() {
      if (frames.size() == 1) {
        return frames.get(0).bytes();
      }
      var all = new byte[length];
      int at = 0;
      for (var frame : frames) {
        System.arraycopy(frame.bytes(), 0, all, at, frame.bytes().length);
        at += frame.bytes().length;
      }
      return all;
    }

    void written() {
      long now = System.nanoTime();
      lastWriteNanos = now;
      int events = 0;
      long oldest = Long.MAX_VALUE;
      for (var frame : frames) {
        if (frame != Frame.PROBE) {
          lastFrameNanos = now;
        }
        if (frame.isEvent()) {
          events++;
          oldest = Math.min(oldest, frame.createdAtMillis());
        }
      }
      if (events > 0) {
        observer.written(events, oldest);
      }
      frames.clear();
      length = 0;
    }
  }

  /**
   * The wire promised a callback: hands the wire to it. Returns false when the callback already
   * came (the drain goes on).
   */
  private boolean park() {
    pendingSinceNanos = System.nanoTime();
    state.set(WAITING);
    if (signalled) {
      signalled = false;
      if (state.compareAndSet(WAITING, DRAINING)) {
        return false;
      }
    }
    if (closed.get()) {
      release();
    }
    return true;
  }

  /** Ends the stream; the wire is completed by whoever owns it. Idempotent. */
  void close(String reason) {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    queue.clear();
    queued.set(0);
    lowWaterActions.clear();
    observer.closed(reason);
    release();
  }

  /** Completes the wire unless a drainer owns it (it will, when it next looks). */
  private void release() {
    while (true) {
      int current = state.get();
      if (current == CLOSED || current == DRAINING) {
        return;
      }
      if (state.compareAndSet(current, CLOSED)) {
        closeWire();
        return;
      }
    }
  }

  /** The drainer saw the stream closed. */
  private void finish() {
    state.set(CLOSED);
    closeWire();
  }

  private void closeWire() {
    var w = wire;
    if (w != null) {
      w.close();
    }
  }
}
