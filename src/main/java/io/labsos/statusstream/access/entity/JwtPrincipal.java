package io.labsos.statusstream.access.entity;

import jakarta.json.Json;
import java.io.Serial;
import java.io.Serializable;
import java.io.StringReader;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.eclipse.microprofile.jwt.Claims;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.consumer.InvalidJwtException;

/**
 * The caller of a request: the claims of a token the verifier accepted, as MicroProfile JWT's
 * {@link JsonWebToken}. The authentication mechanism hands it to the container, so {@code @Inject
 * JsonWebToken}, {@code @Claim} and {@code getUserPrincipal()} all give this object; its groups are
 * the caller's roles.
 */
public final class JwtPrincipal implements JsonWebToken, Serializable {

  @Serial private static final long serialVersionUID = 1L;

  private final String rawToken;
  private final String json;
  private final transient JwtClaims claims;

  public JwtPrincipal(String rawToken, JwtClaims claims) {
    this.rawToken = rawToken;
    this.claims = claims;
    this.json = claims.toJson();
  }

  @Override
  public String getName() {
    for (var name : List.of(Claims.upn.name(), Claims.preferred_username.name())) {
      if (claims.getClaimValue(name) instanceof String value) {
        return value;
      }
    }
    return getSubject();
  }

  @Override
  public Set<String> getClaimNames() {
    var names = new LinkedHashSet<>(claims.getClaimNames());
    names.add(Claims.raw_token.name());
    return names;
  }

  /** Claims typed as MicroProfile JWT says: numeric dates as Long, groups and aud as sets. */
  @Override
  @SuppressWarnings("unchecked")
  public <T> T getClaim(String name) {
    if (Claims.raw_token.name().equals(name)) {
      return (T) rawToken;
    }
    var value = claims.getClaimValue(name);
    if (value == null) {
      return null;
    }
    if (value instanceof Number number && isNumericDate(name)) {
      return (T) Long.valueOf(number.longValue());
    }
    if (value instanceof String || value instanceof Boolean) {
      if (Claims.aud.name().equals(name)) {
        return (T) Set.of((String) value);
      }
      return (T) value;
    }
    if (value instanceof List<?> && isStringSetClaim(name)) {
      try {
        return (T) new LinkedHashSet<>(claims.getStringListClaimValue(name));
      } catch (MalformedClaimException e) {
        return null;
      }
    }
    // Objects and arrays of other claims: JSON-P values, as Liberty's own implementation gives.
    try (var reader = Json.createReader(new StringReader(json))) {
      return (T) reader.readObject().get(name);
    }
  }

  private static boolean isNumericDate(String name) {
    try {
      return Claims.valueOf(name).getType() == Long.class;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static boolean isStringSetClaim(String name) {
    return Claims.groups.name().equals(name) || Claims.aud.name().equals(name);
  }

  @Override
  public Set<String> getGroups() {
    Set<String> groups = getClaim(Claims.groups.name());
    return groups == null ? Set.of() : groups;
  }

  /**
   * The claims as JSON (never the token: it carries no signature). Liberty's JSON-P {@code @Claim}
   * producers parse this.
   */
  @Override
  public String toString() {
    return json;
  }

  @Serial
  private Object readResolve() throws InvalidJwtException {
    return new JwtPrincipal(rawToken, JwtClaims.parse(json));
  }
}
