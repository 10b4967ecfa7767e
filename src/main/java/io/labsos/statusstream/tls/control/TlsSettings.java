package io.labsos.statusstream.tls.control;

import io.labsos.statusstream.Endpoints;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.InetSocketAddress;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The HTTPS settings, read here once: {@code TLS_CERT_FILE} and {@code TLS_KEY_FILE} (MicroProfile
 * Config properties {@code tls.cert.file} and {@code tls.key.file}), both or neither; and where the
 * keystore Liberty reads is kept ({@code status-stream.tls.dir}, a variable of server.xml, not a
 * setting). The port and address they open are the server's ({@link Endpoints}). Neither file set:
 * no HTTPS. One of them, or a path that is none: refused at start.
 */
@ApplicationScoped
public class TlsSettings {

  static final String ONLY_CERT =
      "TLS_CERT_FILE is set but TLS_KEY_FILE is not: set both (HTTPS) or neither";
  static final String ONLY_KEY =
      "TLS_KEY_FILE is set but TLS_CERT_FILE is not: set both (HTTPS) or neither";
  static final String BAD_CERT_PATH = "TLS_CERT_FILE is not a valid file path";
  static final String BAD_KEY_PATH = "TLS_KEY_FILE is not a valid file path";

  @Inject
  @ConfigProperty(name = "tls.cert.file")
  Optional<String> certificateText;

  @Inject
  @ConfigProperty(name = "tls.key.file")
  Optional<String> keyText;

  @Inject Endpoints endpoints;

  /** Where server.xml looks for the HTTPS include and keystore: in the server's output folder. */
  @Inject
  @ConfigProperty(name = "status-stream.tls.dir")
  Optional<String> folderText;

  private List<String> problems = List.of();
  private Path certificate;
  private Path key;
  private Path folder;

  @PostConstruct
  void init() {
    var found = new ArrayList<String>();
    var certificateSet = certificateText.map(String::strip).filter(t -> !t.isEmpty());
    var keySet = keyText.map(String::strip).filter(t -> !t.isEmpty());
    if (certificateSet.isPresent() && keySet.isEmpty()) {
      found.add(ONLY_CERT);
    } else if (keySet.isPresent() && certificateSet.isEmpty()) {
      found.add(ONLY_KEY);
    } else if (certificateSet.isPresent()) {
      certificate = path(certificateSet.get(), BAD_CERT_PATH, found);
      key = path(keySet.get(), BAD_KEY_PATH, found);
    }
    // Liberty's working directory is the server's output folder, which server.xml's default names.
    folder = folderText.map(Path::of).orElse(Path.of("tls")).toAbsolutePath();
    problems = List.copyOf(found);
    if (!problems.isEmpty()) {
      certificate = null;
      key = null;
    }
  }

  private static Path path(String text, String invalid, List<String> found) {
    try {
      return Path.of(text);
    } catch (InvalidPathException e) {
      found.add(invalid);
      return null;
    }
  }

  /** What keeps HTTPS from being configured, as fixed texts; empty when it is, or is off. */
  public List<String> problems() {
    return problems;
  }

  /** Whether both files are set, as paths. */
  boolean enabled() {
    return certificate != null && key != null;
  }

  Path certificate() {
    return certificate;
  }

  Path key() {
    return key;
  }

  /** The folder of the include and the keystore. */
  Path folder() {
    return folder;
  }

  int port() {
    return endpoints.httpsPort();
  }

  /** Where this process reaches the HTTPS port. */
  InetSocketAddress localAddress() {
    return new InetSocketAddress(endpoints.localHost(), endpoints.httpsPort());
  }
}
