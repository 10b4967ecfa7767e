package io.labsos.statusstream.bench.harness;

import org.HdrHistogram.Histogram;

/**
 * What one open-loop run delivered: the latencies (scheduled write to parsed event, µs), the
 * writers' own lag, and whether the server kept pace with what was offered.
 *
 * @param offeredPerSecond events/s written times the subscribers each reaches
 * @param arrivalSeconds from the first delivery to the last, plus one interval between writes
 * @param serverCpuMillis the server's CPU from the first write until the last delivery arrived
 * @param clientCpuMillis the bench's own CPU in as long (its load client and its writers)
 */
public record Delivery(
    Histogram latency,
    Histogram commitLag,
    long expected,
    long arrived,
    double offeredPerSecond,
    double arrivalSeconds,
    long serverCpuMillis,
    long clientCpuMillis) {

  /** The rate deliveries arrived at, from the first to the last. */
  public double deliveredPerSecond() {
    return arrived / arrivalSeconds;
  }

  /**
   * Every delivery arrived, at 90 % of the offered rate or more: a server that falls behind
   * delivers at its own pace, its latency grows through the run and the deliveries take longer to
   * arrive than the writes took.
   */
  public boolean keptUp() {
    return arrived >= expected && deliveredPerSecond() >= 0.9 * offeredPerSecond;
  }

  public double cpuMicrosPerDelivery() {
    return arrived == 0 ? Double.NaN : serverCpuMillis * 1000.0 / arrived;
  }

  /**
   * What the bench itself spent per delivery: on a machine it shares with the server, what one
   * client spends is CPU the server does not get.
   */
  public double clientCpuMicrosPerDelivery() {
    return arrived == 0 ? Double.NaN : clientCpuMillis * 1000.0 / arrived;
  }
}
