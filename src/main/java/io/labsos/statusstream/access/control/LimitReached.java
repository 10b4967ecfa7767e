package io.labsos.statusstream.access.control;

/** The caller holds as much as one user may at once on this instance: it may retry later. */
public class LimitReached extends RuntimeException {

  /** Which of the caller's limits was reached. */
  public enum Limit {
    /** {@code STREAM_MAX_PER_USER} open streams. */
    STREAMS,
    /** {@code POLL_MAX_PER_USER} polling requests in flight. */
    POLLS
  }

  private final Limit limit;
  private final int retryAfterSeconds;

  public LimitReached(Limit limit, int retryAfterSeconds) {
    super(limit + " per user reached", null, false, false);
    this.limit = limit;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public Limit limit() {
    return limit;
  }

  /** How long the caller had better wait before it tries again. */
  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
