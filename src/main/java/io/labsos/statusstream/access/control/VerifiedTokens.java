package io.labsos.statusstream.access.control;

import io.labsos.statusstream.access.entity.JwtPrincipal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jose4j.jwk.JsonWebKey;

/**
 * Tokens already verified, by their exact text: the same text verifies the same way until it stops
 * being accepted, as long as the keys are the same. Verifying (parse, RSA) was 13 % of the CPU of
 * opening a stream; the streams of one token also share one caller object.
 */
final class VerifiedTokens {

  /** Most tokens remembered; a client's reconnects and its tabs share one. */
  static final int MAX = 10_000;

  /** A token accepted with these keys (the same list instance: new keys verify anew). */
  private record Verified(JwtPrincipal caller, List<JsonWebKey> keys, Instant until) {}

  private final Map<String, Verified> verified = new ConcurrentHashMap<>();

  /** The caller of a token verified with these very keys and still accepted; else null. */
  JwtPrincipal get(String token, List<JsonWebKey> keys) {
    var known = verified.get(token);
    if (known != null && known.keys() == keys && Instant.now().isBefore(known.until())) {
      return known.caller();
    }
    return null;
  }

  void remember(String token, List<JsonWebKey> keys, JwtPrincipal caller, Instant until) {
    if (verified.size() >= MAX) {
      var now = Instant.now();
      verified.values().removeIf(v -> !now.isBefore(v.until()));
      if (verified.size() >= MAX) {
        verified.clear(); // many live tokens: start over rather than grow
      }
    }
    verified.put(token, new Verified(caller, keys, until));
  }
}
