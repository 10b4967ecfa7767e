package io.labsos.statusstream.tls.control;

import java.util.Optional;
import java.util.logging.Logger;

/**
 * When PEM files read again are taken up: once they differ from those taken, read the same on two
 * checks in a row (so that a pair caught between a platform's two writes, or half-written, is not
 * taken), and are usable. An unusable pair is logged once and not taken; the port keeps the
 * certificate it has.
 */
final class Renewal {

  private static final Logger LOG = Logger.getLogger(Renewal.class.getName());

  /** Renewed files and what they hold. */
  record Renewed(PemFiles files, TlsIdentity identity) {}

  private PemFiles taken;
  private PemFiles seen;
  private PemFiles refused;

  Renewal(PemFiles taken) {
    this.taken = taken;
  }

  /** What to take up, given the files as read now. */
  Optional<Renewed> consider(PemFiles read) {
    if (read.equals(taken) || read.equals(refused)) {
      seen = null;
      return Optional.empty();
    }
    if (!read.equals(seen)) {
      seen = read;
      return Optional.empty();
    }
    seen = null;
    try {
      return Optional.of(new Renewed(read, TlsIdentity.of(read)));
    } catch (UnusableTlsFiles e) {
      refused(read);
      LOG.warning(
          "The renewed TLS files are not taken, HTTPS keeps the certificate it has: "
              + String.join("; ", e.problems()));
      return Optional.empty();
    }
  }

  /** The files are served now. */
  void taken(PemFiles files) {
    taken = files;
  }

  /** The files could not be taken up: not tried again until they change. */
  void refused(PemFiles files) {
    refused = files;
  }
}
