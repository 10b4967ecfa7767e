package io.labsos.statusstream.access.control;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * At most {@code POLL_MAX_PER_USER} polling requests of one {@code sub} at once on this instance:
 * each holds a pooled database connection (the pool readiness and stream opens use too), so one
 * user's loop cannot take the pool. A client polls one request at a time; more get 429.
 */
@ApplicationScoped
public class PollingLimit {

  @Inject
  @ConfigProperty(name = "POLL_MAX_PER_USER", defaultValue = "4")
  int maxPerUser;

  private final Map<String, Integer> inFlight = new ConcurrentHashMap<>();

  /** A slot of the subject's, to close when its request is answered. */
  public interface Slot extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * @throws LimitReached when the subject has {@code POLL_MAX_PER_USER} requests in flight
   */
  public Slot acquire(String subject) {
    boolean[] admitted = {false};
    inFlight.compute(
        subject,
        (user, count) -> {
          int current = count == null ? 0 : count;
          if (current >= maxPerUser) {
            return count;
          }
          admitted[0] = true;
          return current + 1;
        });
    if (!admitted[0]) {
      throw new LimitReached(LimitReached.Limit.POLLS, 1);
    }
    return () -> inFlight.computeIfPresent(subject, (user, n) -> n > 1 ? n - 1 : null);
  }
}
