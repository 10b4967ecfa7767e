package io.labsos.statusstream.stream.control;

import io.labsos.statusstream.settings.SettingsCheck;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.util.List;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The settings of the streams, each read here once, checked beside its default and handed out
 * typed. Each is a MicroProfile Config property whose environment variable is the name the README
 * documents ({@code stream.heartbeat.seconds} is {@code STREAM_HEARTBEAT_SECONDS}). The write
 * timeout is server.xml's variable too (Liberty's own write timeout), so it is read by that
 * variable's name: both then see the same value. A value the service cannot work with is refused at
 * start: the log says so once, {@link #problems()} says it in fixed texts (readiness shows them),
 * and the streams run with the default meanwhile.
 */
@ApplicationScoped
public class StreamSettings {

  private static final Logger LOG = Logger.getLogger(StreamSettings.class.getName());

  /** Interval of keep-alive comments. */
  @Inject
  @ConfigProperty(name = "stream.heartbeat.seconds", defaultValue = "15")
  String heartbeatText;

  /** Longest a write to a client may stay pending before the client counts as gone. */
  @Inject
  @ConfigProperty(name = "STREAM_WRITE_TIMEOUT_SECONDS", defaultValue = "10")
  String writeTimeoutText;

  /** How long a client waits before it reconnects (the stream's {@code retry:} field). */
  @Inject
  @ConfigProperty(name = "stream.retry.millis", defaultValue = "3000")
  String retryText;

  /** Frames that may wait for one slow client before it is disconnected. */
  @Inject
  @ConfigProperty(name = "stream.buffer.events", defaultValue = "1000")
  String bufferText;

  /**
   * Most threads that write to clients at once. About one per core is busy under load; more are
   * started only while writes to stalled clients block the others (see {@link WriterPool}).
   */
  @Inject
  @ConfigProperty(name = "stream.writer.threads", defaultValue = "256")
  String writerThreadsText;

  private List<String> problems = List.of();
  private long heartbeatSeconds = 15;
  private long writeTimeoutSeconds = 10;
  private long retryMillis = 3000;
  private int bufferEvents = 1000;
  private int writerThreads = 256;

  @PostConstruct
  void init() {
    var check = new SettingsCheck();
    heartbeatSeconds = check.whole("stream.heartbeat.seconds", heartbeatText, 1, 15);
    writeTimeoutSeconds = check.whole("STREAM_WRITE_TIMEOUT_SECONDS", writeTimeoutText, 1, 10);
    retryMillis = check.whole("stream.retry.millis", retryText, 0, 3000);
    bufferEvents = check.whole("stream.buffer.events", bufferText, 1, Integer.MAX_VALUE, 1000);
    writerThreads =
        check.whole("stream.writer.threads", writerThreadsText, 1, Integer.MAX_VALUE, 256);
    problems = check.problems();
  }

  /** Says once, at start, why this instance will not become ready. */
  void start(@Observes Startup startup) {
    if (!problems.isEmpty()) {
      LOG.severe(
          "The stream settings are refused, so this instance does not become ready (the streams"
              + " use the defaults meanwhile): "
              + String.join("; ", problems));
    }
  }

  /** What is refused, as fixed texts that name the setting; empty when every value is usable. */
  public List<String> problems() {
    return problems;
  }

  long heartbeatSeconds() {
    return heartbeatSeconds;
  }

  long writeTimeoutSeconds() {
    return writeTimeoutSeconds;
  }

  long retryMillis() {
    return retryMillis;
  }

  int bufferEvents() {
    return bufferEvents;
  }

  int writerThreads() {
    return writerThreads;
  }
}
