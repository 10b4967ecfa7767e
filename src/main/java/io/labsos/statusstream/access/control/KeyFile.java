package io.labsos.statusstream.access.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.spec.InvalidKeySpecException;
import java.util.List;
import java.util.logging.Logger;
import org.jose4j.jwk.JsonWebKey;

/**
 * A key file ({@code MP_JWT_VERIFY_PUBLICKEY_LOCATION} as a path), read again whenever its stamp
 * (modification time and size) changes: keys rotate without a restart, and a removed key's tokens
 * are refused at once.
 */
final class KeyFile implements KeySource {

  private static final Logger LOG = Logger.getLogger(KeyFile.class.getName());

  private final Path file;
  private volatile Read last;

  /** The file as last read, with the stamp it had. */
  private record Read(List<JsonWebKey> keys, String stamp) {}

  KeyFile(Path file) {
    this.file = file;
  }

  @Override
  public List<JsonWebKey> keys() {
    String stamp;
    try {
      stamp = Files.getLastModifiedTime(file).toInstant() + "/" + Files.size(file);
    } catch (IOException e) {
      LOG.warning(
          "The token verification key file cannot be read: " + e.getClass().getSimpleName());
      throw new KeysUnavailable();
    }
    var read = last;
    if (read != null && read.stamp().equals(stamp)) {
      return read.keys();
    }
    synchronized (this) {
      read = last;
      if (read == null || !read.stamp().equals(stamp)) {
        try {
          read = new Read(KeyText.parse(Files.readString(file).strip()), stamp);
        } catch (IOException | InvalidKeySpecException e) {
          LOG.warning(
              "The token verification key file "
                  + file
                  + " holds no usable key: "
                  + e.getClass().getSimpleName());
          throw new KeysUnavailable();
        }
        last = read;
      }
    }
    return read.keys();
  }
}
