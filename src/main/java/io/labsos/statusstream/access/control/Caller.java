package io.labsos.statusstream.access.control;

import java.time.Instant;

/**
 * Who is asking, from a verified token, as plain values that a stream keeps after its request: any
 * thread may decide with them, without the request's context.
 *
 * @param subject the token's {@code sub}: the {@code user_id} of project_members
 * @param expiresAt when the token stops being accepted ({@code exp} plus the clock skew): a stream
 *     opened with it ends then
 * @param readsEveryProject whether the token's {@code groups} name one of {@code
 *     READ_ALL_PROJECTS_GROUPS}: such a caller needs no project_members row
 */
public record Caller(String subject, Instant expiresAt, boolean readsEveryProject) {

  /** A caller who reads the projects it is a member of, and no other. */
  public Caller(String subject, Instant expiresAt) {
    this(subject, expiresAt, false);
  }
}
