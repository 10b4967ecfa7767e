package io.labsos.statusstream.stream.control;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The threads that drain the outboxes ({@link WriterPool}), checked every few tens of milliseconds
 * so the pool grows while writes to stalled clients block and shrinks back once they end.
 *
 * <p>Threads: the pool's own, made by the container's managed thread factory; the check runs on the
 * managed scheduler.
 */
@ApplicationScoped
public class OutboxWriters {

  @Resource ManagedThreadFactory threads;
  @Resource ManagedScheduledExecutorService scheduler;

  @Inject StreamSettings settings;

  private WriterPool pool;
  private ScheduledFuture<?> check;

  @PostConstruct
  void init() {
    pool =
        new WriterPool(
            Runtime.getRuntime().availableProcessors(), settings.writerThreads(), threads);
  }

  void start(@Observes Startup startup) {
    check =
        scheduler.scheduleAtFixedRate(
            pool::adjust,
            5 * WriterPool.WAIT_MILLIS,
            5 * WriterPool.WAIT_MILLIS,
            TimeUnit.MILLISECONDS);
  }

  @PreDestroy
  void stop() {
    if (check != null) {
      check.cancel(false);
    }
    pool.shutdown();
  }

  Executor pool() {
    return pool;
  }
}
