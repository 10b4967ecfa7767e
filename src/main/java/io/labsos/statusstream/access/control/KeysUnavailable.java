package io.labsos.statusstream.access.control;

/**
 * No token can be verified now: there are no keys to verify with (not fetched yet, too old, or not
 * configured). The token may be fine, so this is never a refusal of the token.
 */
public class KeysUnavailable extends RuntimeException {

  public static final String UNAVAILABLE =
      "The token verification keys are unavailable; retry shortly";
  public static final String NOT_CONFIGURED =
      "Token verification is not configured on this instance";

  /**
   * @param message a fixed text for the client
   */
  public KeysUnavailable(String message) {
    super(message, null, false, false);
  }

  public KeysUnavailable() {
    this(UNAVAILABLE);
  }
}
