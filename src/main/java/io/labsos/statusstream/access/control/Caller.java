package io.labsos.statusstream.access.control;

import java.time.Instant;

/**
 * Who is asking, from a verified token.
 *
 * @param subject the token's {@code sub}: the {@code user_id} of project_members
 * @param expiresAt the token's {@code exp}: when a stream opened with it ends
 */
public record Caller(String subject, Instant expiresAt) {}
