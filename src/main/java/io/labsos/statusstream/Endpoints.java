package io.labsos.statusstream;

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
 * Where the server's endpoints listen, as far as the application reaches them on this machine: the
 * address ({@code HTTP_HOST}), the HTTPS port and the management port. server.xml opens them from
 * its variables of these names; the application reads the same names, so it sees what Liberty
 * opened (the environment, {@code server.env}, a system property, or server.xml's default, demo
 * mode's {@code localhost} included). A port that is no port number is refused at start: the log
 * says so once and {@link #problems()} says it as fixed texts (readiness shows them).
 */
@ApplicationScoped
public class Endpoints {

  private static final Logger LOG = Logger.getLogger(Endpoints.class.getName());

  /** The address both endpoints listen on; {@code *} is every interface. */
  @Inject
  @ConfigProperty(name = "HTTP_HOST", defaultValue = "*")
  String hostText;

  @Inject
  @ConfigProperty(name = "HTTPS_PORT", defaultValue = "9443")
  String httpsPortText;

  @Inject
  @ConfigProperty(name = "MANAGEMENT_PORT", defaultValue = "9081")
  String managementPortText;

  private List<String> problems = List.of();
  private String localHost = "127.0.0.1";
  private int httpsPort = 9443;
  private int managementPort = 9081;

  @PostConstruct
  void init() {
    var check = new SettingsCheck();
    httpsPort = check.port("HTTPS_PORT", httpsPortText, 9443);
    managementPort = check.port("MANAGEMENT_PORT", managementPortText, 9081);
    problems = check.problems();
    var host = hostText == null ? "" : hostText.strip();
    localHost = host.isEmpty() || host.equals("*") ? "127.0.0.1" : host;
  }

  /** Says once, at start, why this instance will not become ready. */
  void start(@Observes Startup startup) {
    if (!problems.isEmpty()) {
      LOG.severe(
          "The server's ports are refused, so this instance does not become ready: "
              + String.join("; ", problems));
    }
  }

  /** What is refused, as fixed texts that name the setting; empty when the ports are usable. */
  public List<String> problems() {
    return problems;
  }

  /** The address this process reaches its own endpoints at: HTTP_HOST, or 127.0.0.1 for all. */
  public String localHost() {
    return localHost;
  }

  public int httpsPort() {
    return httpsPort;
  }

  public int managementPort() {
    return managementPort;
  }
}
