package io.labsos.statusstream.access.control;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What one user ({@code sub}) may hold at once on this instance: at most {@code
 * STREAM_MAX_PER_USER} open streams, and at most {@code POLL_MAX_PER_USER} polling requests in
 * flight (each holds a pooled database connection, the pool readiness and stream opens use too, so
 * one user's loop cannot take the pool). One user's load never turns another user away.
 */
@ApplicationScoped
public class CallerLimits {

  /** A client whose stream was refused retries after this long. */
  static final int STREAM_RETRY_SECONDS = 10;

  /** A client polls one request at a time; one that polls more is told to wait a second. */
  static final int POLL_RETRY_SECONDS = 1;

  @Inject AccessSettings settings;
  @Inject LimitRefusals refusals;

  int maxStreams;
  int maxPolls;

  private final Map<String, Integer> streams = new ConcurrentHashMap<>();
  private final Map<String, Integer> polls = new ConcurrentHashMap<>();

  @PostConstruct
  void init() {
    maxStreams = settings.maxStreamsPerUser();
    maxPolls = settings.maxPollsPerUser();
  }

  /**
   * A stream slot of the subject's, held for as long as its stream is open.
   *
   * @throws LimitReached when the subject has {@code STREAM_MAX_PER_USER} streams open
   */
  public Slot stream(String subject) {
    return take(streams, maxStreams, subject, LimitReached.Limit.STREAMS, STREAM_RETRY_SECONDS);
  }

  /**
   * A polling slot of the subject's, held until its request is answered.
   *
   * @throws LimitReached when the subject has {@code POLL_MAX_PER_USER} requests in flight
   */
  public Slot poll(String subject) {
    return take(polls, maxPolls, subject, LimitReached.Limit.POLLS, POLL_RETRY_SECONDS);
  }

  private Slot take(
      Map<String, Integer> held,
      int max,
      String subject,
      LimitReached.Limit limit,
      int retryAfterSeconds) {
    boolean[] admitted = {false};
    held.compute(
        subject,
        (user, count) -> {
          int current = count == null ? 0 : count;
          if (current >= max) {
            return count;
          }
          admitted[0] = true;
          return current + 1;
        });
    if (!admitted[0]) {
      refusals.refused(limit);
      throw new LimitReached(limit, retryAfterSeconds);
    }
    return new Slot(() -> held.computeIfPresent(subject, (user, n) -> n > 1 ? n - 1 : null));
  }

  /**
   * One unit of a user's limit. Closing it gives the unit back, once: closing again does nothing,
   * so every path that ends a stream or a request may close it.
   */
  public static final class Slot implements AutoCloseable {

    private final Runnable release;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Slot(Runnable release) {
      this.release = release;
    }

    @Override
    public void close() {
      if (closed.compareAndSet(false, true)) {
        release.run();
      }
    }
  }
}
