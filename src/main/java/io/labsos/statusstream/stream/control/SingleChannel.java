package io.labsos.statusstream.stream.control;

import io.labsos.statusstream.events.entity.StatusEvent;

/**
 * The frames of a one-project stream, exactly as the contract's first endpoint sends them: a live
 * event's frame is the one every such stream shares.
 */
final class SingleChannel implements Subscriber.Channel {

  private final Outbox outbox;

  SingleChannel(Outbox outbox) {
    this.outbox = outbox;
  }

  @Override
  public void event(Encoded event) {
    outbox.offer(event.single());
  }

  @Override
  public void replayed(StatusEvent event) {
    outbox.offer(Frame.replayed(event));
  }

  @Override
  public void resync(long position) {
    outbox.offer(Frame.resyncRequired(position));
  }
}
