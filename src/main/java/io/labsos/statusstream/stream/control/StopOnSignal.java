package io.labsos.statusstream.stream.control;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;

/**
 * A stop by signal (an orchestrator, Ctrl-C) ends the streams at once. Liberty would keep them open
 * through its quiesce (up to 30 s) before the application stops, while their clients could already
 * be resuming on another instance.
 *
 * <p>Threads: the JVM's shutdown hook, on a managed thread.
 */
@ApplicationScoped
public class StopOnSignal {

  @Inject Subscriptions subscriptions;
  @Resource ManagedThreadFactory threads;

  private Thread hook;

  void start(@Observes Startup startup) {
    hook = threads.newThread(() -> subscriptions.closeAll("server stopping"));
    Runtime.getRuntime().addShutdownHook(hook);
  }

  @PreDestroy
  void stop() {
    if (hook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException stopping) {
        // The JVM is shutting down: the hook runs (or ran) anyway.
      }
    }
  }
}
