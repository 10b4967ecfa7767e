package io.labsos.statusstream.stream.control;

import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads that drain outboxes. A drain never waits for anything but a write, and on Liberty a
 * write to a client that stopped reading can block until the container's write timeout, whatever
 * the non-blocking output said before. So the pool grows when its threads are all busy, up to a
 * maximum, rather than queueing drains behind a stalled client's: a task goes to an idle thread,
 * else to a new one, and only at the maximum does it wait. Idle threads above the core size end
 * after 10 s.
 */
final class WriterPool extends ThreadPoolExecutor {

  WriterPool(int core, int max, ThreadFactory threads) {
    super(
        core,
        Math.max(core, max),
        10,
        TimeUnit.SECONDS,
        new HandOff(),
        threads,
        (task, pool) -> ((HandOff) pool.getQueue()).queue(task));
    ((HandOff) getQueue()).pool = this;
  }

  /** Offers a task only to a waiting thread, or, once the pool is at its maximum, to the queue. */
  private static final class HandOff extends LinkedTransferQueue<Runnable> {
    private transient ThreadPoolExecutor pool;

    @Override
    public boolean offer(Runnable task) {
      return tryTransfer(task)
          || (pool.getPoolSize() >= pool.getMaximumPoolSize() && super.offer(task));
    }

    void queue(Runnable task) {
      if (pool.isShutdown()) {
        throw new java.util.concurrent.RejectedExecutionException("stopping");
      }
      super.offer(task);
    }
  }
}
