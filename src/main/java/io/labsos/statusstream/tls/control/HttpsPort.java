package io.labsos.statusstream.tls.control;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import javax.management.JMException;

/**
 * HTTPS on {@code HTTPS_PORT} while {@code TLS_CERT_FILE} and {@code TLS_KEY_FILE} are set. Liberty
 * reads no PEM private key, so at start the pair is checked and copied into a keystore, and the
 * include that opens the endpoint is written beside it; Liberty is told, and opens the port. Then
 * every {@link #CHECK_SECONDS} the files are read again: a renewed pair ({@link Renewal}) replaces
 * the keystore, and Liberty loads it again, without a restart; connections made before keep their
 * certificate. Each certificate written is confirmed by a handshake ({@link CertificateProbe}),
 * which is also when the instance becomes ready. Without the settings, nothing listens on the port;
 * with unusable ones, the instance never becomes ready (it never falls back to plain HTTP on that
 * port).
 */
@ApplicationScoped
public class HttpsPort {

  private static final Logger LOG = Logger.getLogger(HttpsPort.class.getName());

  static final long CHECK_SECONDS = 2;

  static final String CANNOT_OPEN =
      "the HTTPS keystore or include cannot be written, or Liberty cannot be told of them (see the"
          + " log)";

  /** How long a renewed certificate may take to be presented before the log says it is not. */
  private static final long TAKE_UP_SECONDS = 30;

  @Inject TlsSettings settings;

  @Resource ManagedScheduledExecutorService scheduler;

  private volatile List<String> problems = List.of();
  private volatile boolean listening;

  private HttpsInclude include;
  private KeyStoreFile keyStore;
  private ScheduledFuture<?> task;

  private Renewal renewal;

  /** The certificate the port is to present, since when, and whether it was seen to. */
  private X509Certificate expected;

  private Instant expectedSince;
  private boolean presented;

  void start(@Observes Startup startup) {
    include = new HttpsInclude(settings.folder());
    keyStore = new KeyStoreFile(settings.folder().resolve("keystore.p12"));
    if (!settings.problems().isEmpty()) {
      refuse(settings.problems());
      return;
    }
    if (!settings.enabled()) {
      closeLeftOver();
      return;
    }
    try {
      var files = PemFiles.read(settings.certificate(), settings.key());
      var identity = TlsIdentity.of(files);
      keyStore.write(identity);
      include.write(keyStore.password());
      LibertyFiles.created(include.path());
      renewal = new Renewal(files);
      expect(identity.certificate());
    } catch (UnusableTlsFiles e) {
      refuse(e.problems());
      return;
    } catch (IOException | GeneralSecurityException | JMException e) {
      LOG.severe(
          "HTTPS cannot be opened, so this instance does not become ready: "
              + e.getClass().getSimpleName()
              + ": "
              + e.getMessage());
      problems = List.of(CANNOT_OPEN);
      closeLeftOver();
      return;
    }
    task = scheduler.scheduleWithFixedDelay(this::check, 1, CHECK_SECONDS, TimeUnit.SECONDS);
  }

  /**
   * The keystore is a copy of the private key: it does not outlive the application. The endpoint
   * keeps what it loaded until the server stops.
   */
  @PreDestroy
  void stop() {
    if (task != null) {
      task.cancel(false);
    }
    try {
      if (include != null) {
        include.delete();
        keyStore.delete();
      }
    } catch (IOException e) {
      LOG.warning("The HTTPS keystore could not be deleted: " + e.getMessage());
    }
  }

  /** What keeps HTTPS from working, as fixed texts; empty when it works or is off. */
  public List<String> problems() {
    return problems;
  }

  /** Whether this instance serves HTTPS, and if so whether the port answers yet. */
  public Optional<String> state() {
    if (!settings.enabled() || !problems.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(listening ? "listening" : "not listening yet");
  }

  /** Ready as far as HTTPS goes: off, or configured and listening. */
  public boolean ready() {
    return problems.isEmpty() && (!settings.enabled() || listening);
  }

  private void refuse(List<String> found) {
    problems = List.copyOf(found);
    LOG.severe(
        "HTTPS is not configured usably"
            + (settings.enabled()
                ? " (TLS_CERT_FILE "
                    + settings.certificate()
                    + ", TLS_KEY_FILE "
                    + settings.key()
                    + ")"
                : "")
            + ", so this instance does not become ready and nothing listens on port "
            + settings.port()
            + ": "
            + String.join("; ", problems));
    closeLeftOver();
  }

  /** An include an earlier run left (it was killed): removed, so that no old key is served. */
  private void closeLeftOver() {
    try {
      boolean leftOver = Files.exists(include.path());
      include.delete();
      keyStore.delete();
      if (leftOver) {
        LibertyFiles.deleted(include.path());
      }
    } catch (IOException | JMException e) {
      LOG.warning("An HTTPS include of an earlier run could not be removed: " + e.getMessage());
    }
  }

  private void expect(X509Certificate certificate) {
    expected = certificate;
    expectedSince = Instant.now();
    presented = false;
  }

  void check() {
    try {
      confirmPresented();
      takeRenewal();
    } catch (RuntimeException e) {
      LOG.warning("The HTTPS certificate check failed: " + e);
    }
  }

  private void confirmPresented() {
    if (presented) {
      return;
    }
    var shown = CertificateProbe.presented(settings.localAddress());
    if (shown.isPresent() && shown.get().equals(expected)) {
      presented = true;
      listening = true;
      LOG.info(
          "HTTPS on port "
              + settings.port()
              + " presents the certificate of "
              + expected.getSubjectX500Principal().getName()
              + ", valid until "
              + expected.getNotAfter().toInstant());
    } else if (expectedSince.plusSeconds(TAKE_UP_SECONDS).isBefore(Instant.now())) {
      LOG.warning(
          "HTTPS on port "
              + settings.port()
              + (shown.isPresent()
                  ? " still presents another certificate"
                  : " does not answer a TLS handshake")
              + " "
              + TAKE_UP_SECONDS
              + " s after it was written: see Liberty's messages (CWPKI, CWWKO)");
      expectedSince = Instant.now();
    }
  }

  private void takeRenewal() {
    PemFiles files;
    try {
      files = PemFiles.read(settings.certificate(), settings.key());
    } catch (UnusableTlsFiles e) {
      // Between a platform's two writes, or gone: the port keeps what it has.
      return;
    }
    renewal.consider(files).ifPresent(this::takeUp);
  }

  private void takeUp(Renewal.Renewed renewed) {
    try {
      keyStore.write(renewed.identity());
      LibertyFiles.modified(keyStore.path());
      renewal.taken(renewed.files());
      expect(renewed.identity().certificate());
    } catch (IOException | GeneralSecurityException | JMException e) {
      renewal.refused(renewed.files());
      LOG.warning(
          "The renewed TLS files could not be taken up, HTTPS keeps the certificate it has: "
              + e.getClass().getSimpleName()
              + ": "
              + e.getMessage());
    }
  }
}
