package io.labsos.statusstream.access.control;

import java.util.List;
import org.jose4j.jwk.JsonWebKey;

/** The keys of {@code MP_JWT_VERIFY_PUBLICKEY}, parsed once at start. */
record InlineKeys(List<JsonWebKey> keys) implements KeySource {}
