package io.labsos.statusstream.access.control;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.security.enterprise.SecurityContext;
import java.sql.SQLException;
import java.util.UUID;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Decides who may read a project's events: a member of the project (a {@code project_members} row
 * for the token's {@code sub}), or a caller in the role {@value #READER} (a token whose {@code
 * groups} name it: back-end services and dashboards), which reads every project.
 */
@ApplicationScoped
public class ProjectAccess {

  public static final String READER = "status-reader";

  @Inject TokenVerifier verifier;
  @Inject Membership membership;
  @Inject SecurityContext security;

  /**
   * The caller of this request, whose token the authentication mechanism accepted (web.xml requires
   * one on every project path), as plain values that outlive the request.
   */
  public Caller caller(JsonWebToken token) {
    if (token == null || token.getSubject() == null) {
      throw new Unauthenticated("A bearer token is required");
    }
    return new Caller(token.getSubject(), verifier.acceptedUntil(token));
  }

  /**
   * @throws AccessDenied for non-members and unknown projects alike
   */
  public void authorize(UUID project, Caller caller) throws SQLException {
    if (!security.isCallerInRole(READER) && !membership.isMember(project, caller.subject())) {
      throw new AccessDenied();
    }
  }
}
