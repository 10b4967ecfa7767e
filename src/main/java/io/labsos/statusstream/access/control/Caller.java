package io.labsos.statusstream.access.control;

import java.time.Instant;

/**
 * Who is asking, from a verified token, as plain values that a stream keeps after its request.
 *
 * @param subject the token's {@code sub}: the {@code user_id} of project_members
 * @param expiresAt when the token stops being accepted ({@code exp} plus the clock skew): a stream
 *     opened with it ends then
 */
public record Caller(String subject, Instant expiresAt) {}
