package io.labsos.statusstream.tls.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The bytes of {@code TLS_CERT_FILE} and {@code TLS_KEY_FILE}, read one after the other: what a
 * renewal is noticed by. Equal when both files' bytes are.
 */
record PemFiles(byte[] certificate, byte[] key) {

  static final String CERT_UNREADABLE = "TLS_CERT_FILE cannot be read";
  static final String KEY_UNREADABLE = "TLS_KEY_FILE cannot be read";

  /**
   * @throws UnusableTlsFiles when either file cannot be read
   */
  static PemFiles read(Path certificate, Path key) throws UnusableTlsFiles {
    var problems = new ArrayList<String>();
    byte[] certificateBytes = bytes(certificate, CERT_UNREADABLE, problems);
    byte[] keyBytes = bytes(key, KEY_UNREADABLE, problems);
    if (!problems.isEmpty()) {
      throw new UnusableTlsFiles(problems);
    }
    return new PemFiles(certificateBytes, keyBytes);
  }

  private static byte[] bytes(Path file, String unreadable, List<String> problems) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException | SecurityException e) {
      problems.add(unreadable);
      return null;
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof PemFiles that
        && Arrays.equals(certificate, that.certificate)
        && Arrays.equals(key, that.key);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(certificate) + Arrays.hashCode(key);
  }

  @Override
  public String toString() {
    return "PEM files of " + certificate.length + " and " + key.length + " bytes";
  }
}
