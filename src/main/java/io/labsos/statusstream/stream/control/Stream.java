package io.labsos.statusstream.stream.control;

import io.labsos.statusstream.access.control.Caller;
import io.labsos.statusstream.access.control.CallerLimits;
import java.util.List;

/**
 * One open event stream: one response, its caller and the slot of the caller's stream limit it
 * holds, its {@link Outbox}, and a {@link Subscriber} per project it carries (one, or several with
 * their frames tagged by project and carrying the {@link StreamCursor} of them all).
 *
 * <p>Threads: fixed once made; the outbox and the subscribers guard their own state.
 */
final class Stream {

  private final Caller caller;
  private final CallerLimits.Slot slot;
  private final Outbox outbox;
  private final List<Subscriber> subscribers;
  private final ProjectsChannel projects;

  /**
   * @param projects the channel of a stream of several projects, or null for one project's
   */
  Stream(
      Caller caller,
      CallerLimits.Slot slot,
      Outbox outbox,
      List<Subscriber> subscribers,
      ProjectsChannel projects) {
    this.caller = caller;
    this.slot = slot;
    this.outbox = outbox;
    this.subscribers = List.copyOf(subscribers);
    this.projects = projects;
  }

  Caller caller() {
    return caller;
  }

  CallerLimits.Slot slot() {
    return slot;
  }

  Outbox outbox() {
    return outbox;
  }

  List<Subscriber> subscribers() {
    return subscribers;
  }

  /** The channel of a stream of several projects; null for one project's. */
  ProjectsChannel projects() {
    return projects;
  }

  boolean isClosed() {
    return outbox.isClosed();
  }

  void close(String reason) {
    outbox.close(reason);
  }
}
