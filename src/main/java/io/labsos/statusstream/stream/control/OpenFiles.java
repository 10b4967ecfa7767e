package io.labsos.statusstream.stream.control;

import com.sun.management.UnixOperatingSystemMXBean;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Room for another stream under the process's open-file limit. Every stream holds a socket, and
 * Liberty opens its own jars as it goes (a class loaded for the first time): at the limit those
 * opens fail, and the runtime with them. Seen in a benchmark at 20,000 files: the application
 * restarted on its own, twice, ending every stream and answering 404 while it was away, which the
 * native EventSource takes as final. So a stream is refused (503, {@code Retry-After}) while fewer
 * than a reserve of files is left: 5 % of the limit, at least 256; an orchestrator's other
 * instances take it.
 *
 * <p>Counting the open files lists them, so the count is sampled (at most every 250 ms, by the
 * request that finds it old) and the streams admitted since are added to it.
 */
@ApplicationScoped
public class OpenFiles {

  private static final Logger LOG = Logger.getLogger(OpenFiles.class.getName());

  static final int RETRY_AFTER_SECONDS = 10;
  private static final long SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
  private static final long WARN_NANOS = TimeUnit.MINUTES.toNanos(1);

  private UnixOperatingSystemMXBean os;
  private long limit;
  private long reserve;

  private final AtomicLong sampledAt = new AtomicLong();
  private volatile long sampled;
  private final AtomicInteger admittedSince = new AtomicInteger();
  private final AtomicLong warnedAt = new AtomicLong();

  @PostConstruct
  void init() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix) {
      os = unix;
      limit = unix.getMaxFileDescriptorCount();
      reserve = reserve(limit);
      sampledAt.set(System.nanoTime() - SAMPLE_NANOS);
    }
  }

  /** The files kept free of streams under a limit. */
  static long reserve(long limit) {
    return Math.max(256, limit / 20);
  }

  /**
   * Takes room for one stream.
   *
   * @throws NoRoomForStream when fewer than the reserve of files would be left
   */
  public void admit() {
    if (os == null) {
      return;
    }
    long now = System.nanoTime();
    long at = sampledAt.get();
    if (now - at >= SAMPLE_NANOS && sampledAt.compareAndSet(at, now)) {
      sampled = os.getOpenFileDescriptorCount();
      admittedSince.set(0);
    }
    if (sampled + admittedSince.incrementAndGet() > limit - reserve) {
      admittedSince.decrementAndGet();
      warn(now);
      throw new NoRoomForStream(RETRY_AFTER_SECONDS);
    }
  }

  private void warn(long now) {
    long at = warnedAt.get();
    if ((at == 0 || now - at >= WARN_NANOS) && warnedAt.compareAndSet(at, now)) {
      LOG.warning(
          "New streams are refused (503): "
              + sampled
              + " of the process's "
              + limit
              + " open files are in use, and "
              + reserve
              + " are kept for the server itself. Raise the limit (ulimit -n, the container"
              + " runtime's nofile) or add instances. (At most one such line a minute.)");
    }
  }
}
