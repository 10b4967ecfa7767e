package io.labsos.statusstream.tls.control;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The include of server.xml that opens the HTTPS endpoint ({@code tls.xml} in the folder the
 * variable {@code status-stream.tls.dir} names): the keystore's password and an include of {@code
 * https.xml}, the endpoint's configuration. server.xml includes it when it exists; Liberty reads it
 * when told ({@link LibertyFiles}).
 */
final class HttpsInclude {

  static final String FILE_NAME = "tls.xml";

  private final Path file;

  HttpsInclude(Path folder) {
    this.file = folder.resolve(FILE_NAME);
  }

  Path path() {
    return file;
  }

  /** Writes the include for a keystore with this password. */
  void write(String keyStorePassword) throws IOException {
    var text =
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <!-- Written by status-stream (tls/control/HttpsPort) while TLS_CERT_FILE and TLS_KEY_FILE
             are set, removed when it stops: HTTPS on HTTPS_PORT, from the keystore beside this file
             (the PEM pair, copied). -->
        <server>
            <variable name="status-stream.tls.password" value="%s"/>
            <include location="${server.config.dir}/https.xml"/>
        </server>
        """
            .formatted(keyStorePassword);
    var written = KeyStoreFile.ownerOnlyFile(file.getParent(), FILE_NAME + ".");
    try {
      Files.writeString(written, text, StandardCharsets.UTF_8);
      Files.move(
          written, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(written);
    }
  }

  void delete() throws IOException {
    Files.deleteIfExists(file);
  }
}
