package io.labsos.statusstream.access.control;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.Tag;

/**
 * Requests refused because their user holds as much as one user may ({@link CallerLimits}), at
 * {@code /metrics} as {@code status_stream_limit_refusals_total{limit="streams"|"polls"}}: each is
 * one 429 answer. A few are a client retrying as told; many are a client in a loop, or a limit too
 * low for real use.
 */
@ApplicationScoped
public class LimitRefusals {

  @Inject MetricRegistry registry;

  private final Map<LimitReached.Limit, Counter> counters = new EnumMap<>(LimitReached.Limit.class);

  @PostConstruct
  void register() {
    for (var limit : LimitReached.Limit.values()) {
      counters.put(
          limit,
          registry.counter(
              Metadata.builder()
                  .withName("status_stream_limit_refusals")
                  .withDescription("Requests refused (429) because their user reached a limit")
                  .build(),
              new Tag("limit", limit.name().toLowerCase(Locale.ROOT))));
    }
  }

  /** Registered at start, so that /metrics shows zeros before the first refusal. */
  void start(@Observes Startup startup) {}

  void refused(LimitReached.Limit limit) {
    counters.get(limit).inc();
  }
}
