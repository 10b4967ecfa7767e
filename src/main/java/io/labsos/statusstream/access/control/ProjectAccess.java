package io.labsos.statusstream.access.control;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Decides who may read a project's events: a member of the project (a {@code project_members} row
 * for the token's {@code sub}); or, only where {@code READ_ALL_PROJECTS_GROUPS} names groups, a
 * caller whose token's {@code groups} name one of them (back-end services and dashboards), which
 * reads every project. The decision needs nothing but the {@link Caller}.
 */
@ApplicationScoped
public class ProjectAccess {

  @Inject TokenVerifier verifier;
  @Inject Membership membership;
  @Inject AccessSettings settings;

  /**
   * The caller of this request, whose token the authentication mechanism accepted (web.xml requires
   * one on every project path), as plain values that outlive the request.
   *
   * @throws Unauthenticated when the request has no caller
   */
  public Caller caller(JsonWebToken token) {
    if (token == null || token.getSubject() == null) {
      throw new Unauthenticated("A bearer token is required");
    }
    var groups = token.getGroups();
    boolean readsEveryProject =
        groups != null && !Collections.disjoint(groups, settings.readAllProjectsGroups());
    return new Caller(token.getSubject(), verifier.acceptedUntil(token), readsEveryProject);
  }

  /**
   * @throws AccessDenied for non-members and unknown projects alike
   */
  public void authorize(UUID project, Caller caller) throws SQLException {
    authorize(List.of(project), caller);
  }

  /**
   * Every one of the projects, or none: the refusal does not say which one the caller may not read.
   *
   * @throws AccessDenied when the caller may not read one of them (or one does not exist)
   */
  public void authorize(Collection<UUID> projects, Caller caller) throws SQLException {
    if (!caller.readsEveryProject()) {
      requireEvery(projects, membership.memberOf(projects, caller.subject()));
    }
  }

  /** {@link #authorize(Collection, Caller)}, asking on a connection of the caller's. */
  public void authorize(Connection connection, Collection<UUID> projects, Caller caller)
      throws SQLException {
    if (!caller.readsEveryProject()) {
      requireEvery(projects, membership.memberOf(connection, projects, caller.subject()));
    }
  }

  /** Refuses unless the caller is a member of each of the projects (named twice counts once). */
  private static void requireEvery(Collection<UUID> projects, int memberOf) {
    if (memberOf < Set.copyOf(projects).size()) {
      throw new AccessDenied();
    }
  }
}
