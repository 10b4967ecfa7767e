package io.labsos.statusstream.access.boundary;

import io.labsos.statusstream.ApiError;
import io.labsos.statusstream.access.control.AllowedOrigins;
import io.labsos.statusstream.access.control.Credentials;
import io.labsos.statusstream.access.control.TokenVerifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.security.enterprise.AuthenticationStatus;
import jakarta.security.enterprise.authentication.mechanism.http.HttpAuthenticationMechanism;
import jakarta.security.enterprise.authentication.mechanism.http.HttpMessageContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * How a request becomes a caller (Jakarta Security): the token from wherever it travels ({@link
 * Credentials}), verified by the one {@link TokenVerifier}, handed to the container as our
 * MicroProfile {@code JsonWebToken} with its {@code groups} as roles. Liberty's own MicroProfile
 * JWT authentication reads only a header or a cookie, and EventSource can send neither a header nor
 * (cross-site) a cookie; this mechanism takes the same {@code mp.jwt.*} settings for every source.
 *
 * <p>It acts only where a caller is required (web.xml's constraint on {@code /api/projects/*}):
 * elsewhere it does nothing, so a stale cookie never breaks the page. Refusals are answered here,
 * in the JSON error shape, and committed: 401 with {@code WWW-Authenticate: Bearer}, 503 with
 * {@code Retry-After} when no keys can be had. They come before every servlet filter, so they carry
 * the CORS headers themselves, or a cross-origin page could not read them.
 */
@ApplicationScoped
public class BearerMechanism implements HttpAuthenticationMechanism {

  @Inject TokenVerifier verifier;
  @Inject Credentials credentials;
  @Inject AllowedOrigins origins;

  @Override
  public AuthenticationStatus validateRequest(
      HttpServletRequest request, HttpServletResponse response, HttpMessageContext context) {
    if (!context.isProtected() && !context.isAuthenticationRequest()) {
      return context.doNothing();
    }
    try {
      var caller = verifier.verify(credentials.token(request));
      return context.notifyContainerAboutLogin(caller, caller.getGroups());
    } catch (RuntimeException failure) {
      return refuse(ApiError.of(failure).orElseThrow(() -> failure), request, response);
    }
  }

  /**
   * Writes the refusal and commits it: Liberty then leaves the response alone (SEND_CONTINUE on an
   * uncommitted response would get its own {@code WWW-Authenticate: Basic}; SEND_FAILURE turns a
   * 503 into a 401).
   */
  private AuthenticationStatus refuse(
      ApiError refusal, HttpServletRequest request, HttpServletResponse response) {
    origins.addCorsHeaders(request, response);
    try {
      refusal.write(response);
    } catch (IOException e) {
      // The client is gone; there is no one to answer.
    }
    return AuthenticationStatus.SEND_CONTINUE;
  }
}
