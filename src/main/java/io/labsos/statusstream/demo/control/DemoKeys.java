package io.labsos.statusstream.demo.control;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Demo mode's token issuer, as configuration: with {@code DEMO_MODE=true} and no key configured, a
 * key pair is made at start and its public half is offered as {@code mp.jwt.verify.publickey}, with
 * {@code mp.jwt.verify.issuer} {@value DemoMode#ISSUER}. The verifier trusts it the one way it
 * trusts any key; {@link DemoMode} signs with the private half. Its ordinal is below every other
 * source, so real settings always win; registered through {@code META-INF/services}.
 */
public class DemoKeys implements ConfigSource {

  private final KeyPair keys;
  private final Map<String, String> properties;

  public DemoKeys() {
    boolean demo = "true".equals(setting("DEMO_MODE", "DEMO_MODE"));
    boolean keyConfigured =
        setting("MP_JWT_VERIFY_PUBLICKEY", "mp.jwt.verify.publickey") != null
            || setting("MP_JWT_VERIFY_PUBLICKEY_LOCATION", "mp.jwt.verify.publickey.location")
                != null;
    if (!demo || keyConfigured) {
      keys = null;
      properties = Map.of();
      return;
    }
    try {
      var generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      keys = generator.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    var pem =
        "-----BEGIN PUBLIC KEY-----\n"
            + Base64.getMimeEncoder().encodeToString(keys.getPublic().getEncoded())
            + "\n-----END PUBLIC KEY-----";
    properties = Map.of("mp.jwt.verify.publickey", pem, "mp.jwt.verify.issuer", DemoMode.ISSUER);
  }

  /**
   * The environment or system property, read directly: a config source cannot ask the configuration
   * it is part of.
   */
  private static String setting(String variable, String property) {
    var value = System.getenv(variable);
    if (value == null || value.isBlank()) {
      value = System.getProperty(property);
    }
    return value == null || value.isBlank() ? null : value.strip();
  }

  /** The key demo tokens are signed with, or null when this source offers no key. */
  PrivateKey privateKey() {
    return keys == null ? null : keys.getPrivate();
  }

  @Override
  public Set<String> getPropertyNames() {
    return properties.keySet();
  }

  @Override
  public String getValue(String name) {
    return properties.get(name);
  }

  @Override
  public String getName() {
    return "status-stream demo keys";
  }

  @Override
  public int getOrdinal() {
    return 10;
  }
}
