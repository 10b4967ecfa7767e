package io.labsos.statusstream.stream.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WriterPoolTest {

  @Test
  void aDrainQueuedBehindAStuckOneGetsAThreadOfItsOwnAndThePoolShrinksAfter() throws Exception {
    var pool = new WriterPool(1, 3, Executors.defaultThreadFactory());
    var stuck = new CountDownLatch(1);
    var ran = new AtomicInteger();
    try {
      pool.execute(
          () -> {
            try {
              stuck.await(); // a write to a client that stopped reading
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      pool.execute(ran::incrementAndGet);
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () -> {
                pool.adjust();
                return ran.get() == 1;
              });
      assertThat(pool.getLargestPoolSize()).isEqualTo(2);
    } finally {
      stuck.countDown();
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              pool.adjust();
              return pool.getCorePoolSize() == 1;
            });
    pool.shutdown();
    assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void busyThreadsThatKeepTheQueueMovingDoNotGrowThePool() throws Exception {
    var pool = new WriterPool(1, 8, Executors.defaultThreadFactory());
    var done = new CountDownLatch(2000);
    for (int i = 0; i < 2000; i++) {
      pool.execute(done::countDown);
    }
    assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(pool.getLargestPoolSize()).isEqualTo(1);
    pool.shutdown();
  }

  @Test
  void drainsThatWaitBehindBusyOnesDoNotGrowThePool() throws Exception {
    // Under load every drain waits its turn longer than WAIT_MILLIS, but none is stuck: more
    // threads than cores would only take turns.
    var pool = new WriterPool(1, 8, Executors.defaultThreadFactory());
    var done = new CountDownLatch(200);
    for (int i = 0; i < 200; i++) {
      pool.execute(
          () -> {
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1);
            while (System.nanoTime() < until) {
              Thread.onSpinWait();
            }
            done.countDown();
          });
    }
    while (!done.await(5, TimeUnit.MILLISECONDS)) {
      pool.adjust();
    }
    assertThat(pool.getLargestPoolSize()).isEqualTo(1);
    pool.shutdown();
  }

  @Test
  void theMaximumIsRespected() throws Exception {
    var pool = new WriterPool(1, 2, Executors.defaultThreadFactory());
    var stuck = new CountDownLatch(1);
    try {
      for (int i = 0; i < 5; i++) {
        pool.execute(
            () -> {
              try {
                stuck.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
      }
      await()
          .pollDelay(Duration.ofMillis(50))
          .atMost(Duration.ofSeconds(5))
          .until(
              () -> {
                pool.adjust();
                return pool.getPoolSize() == 2;
              });
      pool.adjust();
      assertThat(pool.getCorePoolSize()).isEqualTo(2);
    } finally {
      stuck.countDown();
      pool.shutdown();
    }
  }
}
