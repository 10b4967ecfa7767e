package io.labsos.statusstream.stream.control;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads that drain outboxes: about one per core, since a drain only copies bytes and writes.
 * But on Liberty a write to a client that stopped reading blocks until the container's write
 * timeout, whatever the non-blocking output said before, and the drains queued behind it would wait
 * with it. So the pool grows, up to a maximum, by a thread for each queued drain that has waited
 * longer than {@value #WAIT_MILLIS} ms: busy threads that keep the queue moving never grow it
 * (under load, drains queue and coalesce); stuck ones do. {@link #adjust()}, called every few tens
 * of milliseconds, grows it too when no new drain comes to notice, and lets it shrink back to its
 * base size once the queue is empty.
 */
final class WriterPool extends ThreadPoolExecutor {

  static final long WAIT_MILLIS = 10;
  private static final long WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);

  private final int base;
  private final int max;

  /** A drain and when it was queued. */
  private record Queued(Runnable task, long since) implements Runnable {
    @Override
    public void run() {
      task.run();
    }
  }

  WriterPool(int base, int max, ThreadFactory threads) {
    // With an unbounded queue the executor itself never starts more than the core threads: the
    // maximum only bounds how far growIfWaiting may raise the core size.
    super(base, Math.max(base, max), 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads);
    this.base = base;
    this.max = Math.max(base, max);
  }

  @Override
  public void execute(Runnable task) {
    long now = System.nanoTime();
    growIfWaiting(now);
    super.execute(new Queued(task, now));
  }

  /** Grows while drains wait; shrinks back once nothing waits. */
  void adjust() {
    if (!growIfWaiting(System.nanoTime()) && getQueue().isEmpty()) {
      int size = getCorePoolSize();
      if (size > base) {
        setCorePoolSize(Math.max(base, getActiveCount())); // idle threads above it end
      }
    }
  }

  /**
   * Adds a thread for every drain that has waited too long: each may be behind one that a stalled
   * client holds, and FIFO would keep it there until that write times out.
   */
  private boolean growIfWaiting(long now) {
    var oldest = getQueue().peek();
    if (!(oldest instanceof Queued first) || now - first.since() <= WAIT_NANOS) {
      return false;
    }
    int waiting = 0;
    for (var task : getQueue()) {
      if (!(task instanceof Queued queued) || now - queued.since() <= WAIT_NANOS) {
        break;
      }
      waiting++;
    }
    int size = getCorePoolSize();
    if (size < max) {
      setCorePoolSize(Math.min(max, size + waiting));
    }
    return true;
  }
}
