package io.labsos.statusstream.access.control;

/** The request has no token that is accepted: none, or one that is refused. */
public class Unauthenticated extends RuntimeException {

  /**
   * @param message a fixed text for the client: nothing of the token
   */
  public Unauthenticated(String message) {
    super(message, null, false, false);
  }
}
