package io.labsos.statusstream.tls.control;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.util.Base64;

/**
 * The PEM pair as the PKCS#12 keystore Liberty reads (it reads no PEM keys): a copy of the private
 * key, so it is written owner-only, in a folder of its own, under a password made for this process,
 * and replaced in one rename so that Liberty never reads half a file.
 */
final class KeyStoreFile {

  static final String ALIAS = "status-stream";

  private final Path file;
  private final char[] password;

  KeyStoreFile(Path file) {
    this.file = file;
    var random = new byte[24];
    new SecureRandom().nextBytes(random);
    this.password = Base64.getUrlEncoder().withoutPadding().encodeToString(random).toCharArray();
  }

  Path path() {
    return file;
  }

  /** The keystore's password: Liberty is told it in the include beside the keystore. */
  String password() {
    return new String(password);
  }

  void write(TlsIdentity identity) throws IOException, GeneralSecurityException {
    var store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry(
        ALIAS, identity.key(), password, identity.chain().toArray(new Certificate[0]));
    var written = ownerOnlyFile(file.getParent(), file.getFileName() + ".");
    try {
      try (var out = Files.newOutputStream(written)) {
        store.store(out, password);
      }
      Files.move(
          written, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(written);
    }
  }

  /**
   * A new empty file in the folder, readable by this user only; the folder is made, owner-only,
   * when it is missing.
   */
  static Path ownerOnlyFile(Path folder, String prefix) throws IOException {
    boolean posix = folder.getFileSystem().supportedFileAttributeViews().contains("posix");
    if (!Files.isDirectory(folder)) {
      try {
        Files.createDirectories(
            folder,
            posix
                ? new FileAttribute<?>[] {
                  PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))
                }
                : new FileAttribute<?>[0]);
      } catch (FileAlreadyExistsException raced) {
        // Made meanwhile: fine.
      }
    }
    return posix
        ? Files.createTempFile(
            folder,
            prefix,
            ".new",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
        : Files.createTempFile(folder, prefix, ".new");
  }

  void delete() throws IOException {
    Files.deleteIfExists(file);
  }
}
