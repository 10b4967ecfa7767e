package io.labsos.statusstream.bench.harness;

import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.HdrHistogram.Histogram;

/**
 * Latency from a write's commit to each delivery of its event, not from its scheduled time: the
 * writers say when each write committed, the load generators when each stream parsed its event, and
 * the two are joined by the scheduled time the event carries (unique per write within one open-loop
 * run). Deliveries can be parsed before their writer has noted its commit, so the join waits for
 * the end of the run.
 */
public final class CommitToDelivery implements Writers.Commits, SseLoad.TimedArrivals {

  private final Map<Long, Long> commits = new ConcurrentHashMap<>();
  private final Queue<long[]> arrivals = new ConcurrentLinkedQueue<>();

  @Override
  public void committed(long scheduledMicros, long committedMicros) {
    commits.put(scheduledMicros, committedMicros);
  }

  @Override
  public void arrived(long scheduledMicros, long arrivedMicros) {
    arrivals.add(new long[] {scheduledMicros, arrivedMicros});
  }

  /**
   * From commit to delivery, in µs, of every delivery whose write committed in this run. A delivery
   * parsed before the commit returned to its writer (the notification or the decoded change can
   * beat the commit's answer) counts as 0.
   */
  public Histogram histogram() {
    var histogram = new Histogram(3);
    for (var arrival : arrivals) {
      var committed = commits.get(arrival[0]);
      if (committed != null) {
        histogram.recordValue(Math.max(0, arrival[1] - committed));
      }
    }
    return histogram;
  }
}
