package io.labsos.statusstream.stream.control;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads that drain outboxes: about one per core, since a drain only copies bytes and writes.
 * But on Liberty a write to a client that stopped reading blocks until the container's write
 * timeout, whatever the non-blocking output said before, and the drains queued behind it would wait
 * with it. So the pool grows, up to a maximum, by a thread for each drain that is stuck: one that
 * has been running for longer than {@value #STUCK_MILLIS} ms (a drain writes at most a few batches
 * that the client's socket said it could take: microseconds) while drains queued behind it have
 * waited longer than {@value #WAIT_MILLIS} ms. Busy threads never grow it, however long the queue:
 * under load, drains queue and coalesce, and more threads than cores would only take turns (an
 * earlier rule, "grow for every drain that waited", started hundreds of threads at 10,000
 * subscribers and cost more CPU per delivery than it saved). {@link #adjust()}, called every few
 * tens of milliseconds, grows it too when no new drain comes to notice, and lets it shrink back to
 * its base size once the queue is empty.
 */
final class WriterPool extends ThreadPoolExecutor {

  static final long WAIT_MILLIS = 10;
  static final long STUCK_MILLIS = 50;
  private static final long WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
  private static final long STUCK_NANOS = TimeUnit.MILLISECONDS.toNanos(STUCK_MILLIS);

  private final int base;
  private final int max;

  /** What a thread of the pool runs: since when (0 when idle). */
  private static final class Running {
    final Thread thread = Thread.currentThread();
    volatile long since;
  }

  private final List<Running> threads = new CopyOnWriteArrayList<>();
  private final ThreadLocal<Running> running =
      ThreadLocal.withInitial(
          () -> {
            var mine = new Running();
            threads.add(mine);
            return mine;
          });

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

  /**
   * When a drain last looked for stuck ones: at most once a millisecond (under load, 10,000s/s).
   */
  private volatile long lookedNanos;

  @Override
  public void execute(Runnable task) {
    long now = System.nanoTime();
    if (now - lookedNanos > 1_000_000) {
      lookedNanos = now;
      growIfWaiting(now);
    }
    super.execute(new Queued(task, now));
  }

  @Override
  protected void beforeExecute(Thread thread, Runnable task) {
    running.get().since = System.nanoTime() | 1; // never 0
  }

  @Override
  protected void afterExecute(Runnable task, Throwable failure) {
    running.get().since = 0;
  }

  /** Grows while drains wait behind stuck ones; shrinks back once nothing waits. */
  void adjust() {
    if (!growIfWaiting(System.nanoTime()) && getQueue().isEmpty()) {
      int size = getCorePoolSize();
      if (size > base) {
        setCorePoolSize(Math.max(base, getActiveCount())); // idle threads above it end
      }
    }
  }

  /**
   * When drains have waited too long: as many threads as the base size plus one for every stuck
   * drain, so that {@code base} threads keep the queue moving; a stuck one holds its drain until
   * the write times out, and FIFO would keep the others behind it.
   */
  private boolean growIfWaiting(long now) {
    var oldest = getQueue().peek();
    if (!(oldest instanceof Queued first) || now - first.since() <= WAIT_NANOS) {
      return false;
    }
    int stuck = 0;
    for (var thread : threads) {
      long since = thread.since;
      if (!thread.thread.isAlive()) {
        threads.remove(thread);
      } else if (since != 0 && now - since > STUCK_NANOS) {
        stuck++;
      }
    }
    int wanted = Math.min(max, base + stuck);
    if (getCorePoolSize() < wanted) {
      setCorePoolSize(wanted);
    }
    return true;
  }
}
