package io.labsos.statusstream.access.control;

import java.util.List;
import org.jose4j.jwk.JsonWebKey;

/**
 * Where the keys that verify tokens come from: given inline ({@link InlineKeys}), a file ({@link
 * KeyFile}) or a JWKS URL ({@link RemoteKeySet}). The same list instance means the same keys: a
 * token verified with it stays verified until the source hands out another list.
 */
interface KeySource {

  /**
   * The keys to verify with now.
   *
   * @throws KeysUnavailable when there are none to be had
   */
  List<JsonWebKey> keys();

  /**
   * The keys to try again after a token named a key id that {@code tried} lacks: new ones when the
   * issuer may have rotated its keys, else {@code tried} itself.
   */
  default List<JsonWebKey> afterUnknownKeyId(List<JsonWebKey> tried) {
    return tried;
  }
}
