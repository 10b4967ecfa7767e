package io.labsos.statusstream.stream.control;

/** This instance cannot hold another stream: the process is near its open-file limit. */
public class NoRoomForStream extends RuntimeException {

  private final int retryAfterSeconds;

  public NoRoomForStream(int retryAfterSeconds) {
    super("no room for another stream under the open-file limit", null, false, false);
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** How long the client had better wait before it tries again (here or elsewhere). */
  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
