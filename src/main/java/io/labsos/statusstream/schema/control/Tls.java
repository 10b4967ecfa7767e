package io.labsos.statusstream.schema.control;

import org.postgresql.ds.common.BaseDataSource;

/**
 * How a connection to PostgreSQL uses TLS, in pgjdbc's terms.
 *
 * @param mode pgjdbc's {@code sslmode}: disable, allow, prefer, require, verify-ca or verify-full
 * @param rootCert the PEM file of the certificates the server's must chain to ({@code
 *     sslrootcert}), read in the verify modes only; null for pgjdbc's default ({@code
 *     ~/.postgresql/root.crt})
 */
public record Tls(String mode, String rootCert) {

  /** pgjdbc's own default: TLS when the server offers it, its certificate unchecked. */
  public static final Tls DEFAULT = new Tls("prefer", null);

  /** Whether the server's certificate must chain to {@link #rootCert()}. */
  public boolean verifiesCertificate() {
    return mode.startsWith("verify-");
  }

  /** Sets these on a data source of pgjdbc's. */
  public void applyTo(BaseDataSource dataSource) {
    dataSource.setSslMode(mode);
    if (rootCert != null) {
      dataSource.setSslRootCert(rootCert);
    }
  }
}
