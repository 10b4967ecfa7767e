package io.labsos.statusstream.stream.control;

import io.labsos.statusstream.access.control.Caller;
import io.labsos.statusstream.access.control.ProjectAccess;
import io.labsos.statusstream.events.control.EventLog;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.SQLException;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Opens a stream for a caller: the order of things that makes a stream miss nothing and carry
 * nothing its caller may not see.
 *
 * <ol>
 *   <li>The subscriber is registered first: from here on the project's live events are held for it,
 *       so the reads below miss nothing, and every event committed after the client sees
 *       "connected" reaches it.
 *   <li>The position of the client's Last-Event-ID is read, with the project's head.
 *   <li>Only then is the caller authorized. A deletion of the project that this check did not see
 *       comes after that head in the log, and ends the stream when it arrives; one it saw made the
 *       caller a member of the project re-created since, or no member at all.
 *   <li>{@code retry} and "connected" are queued; then, for a position the log does not continue,
 *       {@code resync_required} with the project's position.
 *   <li>The log after the position is replayed (first batch here), then the stream goes live.
 *   <li>Only then does the response start: a failure before it is still an ordinary error answer.
 * </ol>
 */
@ApplicationScoped
public class StreamOpener {

  @Inject ProjectChannels channels;
  @Inject EventLog log;
  @Inject ProjectAccess access;

  /** How long a client waits before it reconnects (the stream's {@code retry:} field). */
  @Inject
  @ConfigProperty(name = "STREAM_RETRY_MILLIS", defaultValue = "3000")
  long retryMillis;

  /**
   * @param lastEventId where the client stands, or null for a new client (it gets what is committed
   *     from now on)
   * @throws SQLException when the log cannot be read; nothing was sent yet
   */
  public void open(
      UUID project,
      Caller caller,
      Long lastEventId,
      HttpServletRequest request,
      HttpServletResponse response)
      throws SQLException, IOException {
    var subscriber = channels.open(project, caller);
    try {
      channels.subscribe(subscriber);
      var position = log.position(project, lastEventId == null ? 0 : lastEventId);
      access.authorize(project, caller);
      subscriber.offer(Frame.connected(retryMillis));
      long from;
      if (lastEventId == null) {
        from = position.head();
      } else if (!position.continues()) {
        subscriber.offer(Frame.resyncRequired(position.head()));
        from = position.head();
      } else {
        from = lastEventId;
      }
      subscriber.start(from, position.head());
      ServletWire.attach(request, response, subscriber.outbox());
    } catch (SQLException | IOException | RuntimeException e) {
      subscriber.close("failed to start: " + e.getClass().getSimpleName());
      throw e;
    }
  }
}
