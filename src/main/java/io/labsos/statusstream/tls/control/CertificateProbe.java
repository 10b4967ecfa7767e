package io.labsos.statusstream.tls.control;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Which certificate the HTTPS port presents, learnt by a TLS handshake from this process: whether
 * Liberty took up what was written. It trusts whatever it is shown, since it only looks; no request
 * is sent.
 */
final class CertificateProbe {

  private static final int TIMEOUT_MILLIS = 2000;

  private CertificateProbe() {}

  /** The server's own certificate on that address, empty when nothing answers TLS there. */
  static Optional<X509Certificate> presented(InetSocketAddress address) {
    try {
      var context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {new LookOnly()}, null);
      try (var socket = (SSLSocket) context.getSocketFactory().createSocket()) {
        socket.connect(address, TIMEOUT_MILLIS);
        socket.setSoTimeout(TIMEOUT_MILLIS);
        socket.startHandshake();
        var chain = socket.getSession().getPeerCertificates();
        return chain.length > 0 && chain[0] instanceof X509Certificate own
            ? Optional.of(own)
            : Optional.empty();
      }
    } catch (IOException | GeneralSecurityException e) {
      return Optional.empty();
    }
  }

  /** Accepts every server: the probe compares what it is shown, it trusts nothing. */
  private static final class LookOnly implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
