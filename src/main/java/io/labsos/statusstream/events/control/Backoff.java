package io.labsos.statusstream.events.control;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/** How the long-running loops (the listener, the relay) wait before they try again. */
final class Backoff {

  private static final long MAX_MILLIS = 3_000;

  private Backoff() {}

  /** Exponential from 125-250 ms, at most 1.5-3 s, with jitter: instances never retry in step. */
  static long millis(int failures) {
    long base = Math.min(MAX_MILLIS, 250L << Math.min(failures - 1, 10));
    return base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
  }

  /** Sleeps, but returns as soon as {@code running} turns false. */
  static void sleep(long millis, BooleanSupplier running) {
    long until = System.currentTimeMillis() + millis;
    while (running.getAsBoolean() && System.currentTimeMillis() < until) {
      try {
        Thread.sleep(Math.min(200, Math.max(1, until - System.currentTimeMillis())));
      } catch (InterruptedException e) {
        if (!running.getAsBoolean()) {
          return;
        }
      }
    }
  }
}
