package io.labsos.statusstream.stream.control;

import io.labsos.statusstream.events.entity.StatusEvent;

/**
 * A live event as the streams that carry it need it, each form made once, when the first stream
 * asks: the whole frame of a one-project stream (the same bytes for all of them), and the payload
 * with its {@code projectId} for streams of several projects (whose frames differ by their ids).
 *
 * <p>Threads: the listener's (live delivery) or one stream's own (a replay); never shared between
 * threads while it is being filled.
 */
final class Encoded {

  private final StatusEvent event;
  private Frame single;
  private String tagged;

  Encoded(StatusEvent event) {
    this.event = event;
  }

  StatusEvent event() {
    return event;
  }

  /** {@code id: N\ndata: <payload>\n\n}: the frame of a one-project stream. */
  Frame single() {
    if (single == null) {
      single = Frame.live(event);
    }
    return single;
  }

  /** The payload with {@code "projectId"} added: the data of a stream of several projects. */
  String tagged() {
    if (tagged == null) {
      tagged = Frame.tag(event.json(), event.projectId());
    }
    return tagged;
  }
}
