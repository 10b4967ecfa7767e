package io.labsos.statusstream.access.control;

import io.labsos.statusstream.ApiError;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.UriInfo;
import java.sql.SQLException;
import java.util.UUID;

/** Decides who may read a project's events: a verified token whose subject is a member. */
@ApplicationScoped
public class ProjectAccess {

  @Inject TokenVerifier verifier;
  @Inject Membership membership;

  /**
   * @throws ApiError 401 without a valid token, 403 for non-members and unknown projects alike
   */
  public Caller authorize(UUID project, HttpHeaders headers, UriInfo uri) throws SQLException {
    var caller = verifier.verify(Credentials.token(headers, uri));
    if (!membership.isMember(project, caller.subject())) {
      throw ApiError.forbidden();
    }
    return caller;
  }
}
