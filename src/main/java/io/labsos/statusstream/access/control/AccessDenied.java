package io.labsos.statusstream.access.control;

/** The caller may not read the project, or the project does not exist: the two look alike. */
public class AccessDenied extends RuntimeException {

  public AccessDenied() {
    super("not a member of the project", null, false, false);
  }
}
