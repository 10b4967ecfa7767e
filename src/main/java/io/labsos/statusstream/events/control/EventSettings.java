package io.labsos.statusstream.events.control;

import io.labsos.statusstream.settings.SettingsCheck;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The settings of the events: how the instance learns of new log entries, how its listener watches
 * its connection, and how long the log keeps events. Each is read here once, checked beside its
 * default and handed out typed; each is a MicroProfile Config property whose environment variable
 * is the name the README documents ({@code change.capture} is {@code CHANGE_CAPTURE}). Kafka's own
 * settings are {@link KafkaSettings}'. A value the service cannot work with is refused at start:
 * the listener does not start and says why once ({@link ChangeListener}), and {@link #problems()}
 * says it in fixed texts (readiness shows them).
 */
@ApplicationScoped
public class EventSettings {

  /** The ways to learn of new entries: see {@link NotifyCapture}, {@link LogicalCapture}, Kafka. */
  static final List<String> CAPTURES = List.of("notify", "logical", "kafka");

  @Inject
  @ConfigProperty(name = "change.capture", defaultValue = "notify")
  String captureText;

  /** How long one wait for news lasts before the listener pings its connection. */
  @Inject
  @ConfigProperty(name = "listener.wait.millis", defaultValue = "5000")
  String waitText;

  /** How long the listener's loop may stand still before the instance counts as not alive. */
  @Inject
  @ConfigProperty(name = "listener.stall.seconds", defaultValue = "120")
  String stallText;

  /** How long the listener may be without its database before this instance ends its streams. */
  @Inject
  @ConfigProperty(name = "listener.outage.seconds", defaultValue = "30")
  String outageText;

  /** How long the log keeps events for replay. */
  @Inject
  @ConfigProperty(name = "event.retention.hours", defaultValue = "72")
  String retentionText;

  /** How often events older than the retention are deleted. */
  @Inject
  @ConfigProperty(name = "event.purge.interval.seconds", defaultValue = "600")
  String purgeIntervalText;

  private List<String> problems = List.of();
  private String capture = "notify";
  private Duration wait = Duration.ofMillis(5000);
  private Duration stall = Duration.ofSeconds(120);
  private Duration outage = Duration.ofSeconds(30);
  private double retentionHours = 72;
  private Duration purgeInterval = Duration.ofSeconds(600);

  @PostConstruct
  void init() {
    var check = new SettingsCheck();
    capture = check.oneOf("change.capture", captureText, CAPTURES, "notify");
    wait = Duration.ofMillis(check.whole("listener.wait.millis", waitText, 1, 5000));
    stall = Duration.ofSeconds(check.whole("listener.stall.seconds", stallText, 1, 120));
    outage = Duration.ofSeconds(check.whole("listener.outage.seconds", outageText, 1, 30));
    retentionHours = check.positive("event.retention.hours", retentionText, 72);
    purgeInterval =
        Duration.ofSeconds(check.whole("event.purge.interval.seconds", purgeIntervalText, 1, 600));
    problems = check.problems();
  }

  /** What is refused, as fixed texts that name the setting; empty when every value is usable. */
  public List<String> problems() {
    return problems;
  }

  /** {@code notify}, {@code logical} or {@code kafka}. */
  String capture() {
    return capture;
  }

  /** How long one wait for news lasts before the listener pings its connection. */
  Duration listenerWait() {
    return wait;
  }

  /** How long the listener's loop may stand still before the instance counts as not alive. */
  public Duration listenerStall() {
    return stall;
  }

  /** How long the listener may be without its database before this instance ends its streams. */
  public Duration outage() {
    return outage;
  }

  /** How long the log keeps events for replay, in hours. */
  double retentionHours() {
    return retentionHours;
  }

  /** How often events older than the retention are deleted. */
  Duration purgeInterval() {
    return purgeInterval;
  }
}
