package io.labsos.statusstream.stream.control;

import io.labsos.statusstream.events.entity.StatusEvent;
import java.util.List;
import java.util.UUID;

/**
 * The frames of a stream of several projects: each event's payload carries its {@code projectId},
 * and each frame's id is the stream's {@link StreamCursor} as it stands once that frame is sent, so
 * that resuming from any frame resumes every project exactly.
 *
 * <p>Threads: the projects' subscribers call in from the listener's thread and from replays, at
 * once; the cursor is changed, written into a frame and the frame queued under this object's lock,
 * so frames leave in the order of the positions they carry. Lock order: a subscriber's lock, then
 * this one, then the outbox's queue (lock-free).
 */
final class ProjectsChannel {

  private final Outbox outbox;
  private final StreamCursor cursor;

  ProjectsChannel(Outbox outbox, List<UUID> projects) {
    this.outbox = outbox;
    this.cursor = new StreamCursor(projects);
  }

  /** Where the project starts: the cursor's position for it before anything is sent. */
  synchronized void start(UUID project, long position) {
    cursor.set(cursor.indexOf(project), position);
  }

  /** The channel of one of the stream's projects. */
  Subscriber.Channel of(UUID project) {
    int index = cursor.indexOf(project);
    if (index < 0) {
      throw new IllegalArgumentException("not a project of this stream: " + project);
    }
    return new Subscriber.Channel() {
      @Override
      public void event(Encoded event) {
        var live = event.event();
        send(index, live.id(), event.tagged(), live.createdAt().toEpochMilli());
      }

      @Override
      public void replayed(StatusEvent event) {
        // No lag is measured for what a client reads back from the log.
        send(index, event.id(), Frame.tag(event.json(), event.projectId()), 0);
      }

      @Override
      public void resync(long position) {
        synchronized (ProjectsChannel.this) {
          cursor.set(index, position);
          outbox.offer(Frame.resyncRequired(cursor.text(), project));
        }
      }
    };
  }

  private synchronized void send(int index, long id, String tagged, long createdAtMillis) {
    cursor.set(index, id);
    outbox.offer(Frame.tagged(cursor.text(), tagged, createdAtMillis));
  }
}
