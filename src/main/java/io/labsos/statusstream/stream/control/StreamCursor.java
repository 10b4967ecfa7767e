package io.labsos.statusstream.stream.control;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The position of every project of a stream of several, as one opaque text: what each frame carries
 * as its {@code id}, so that the browser's EventSource sends it back as {@code Last-Event-ID} and
 * the stream resumes each project exactly. It is base64url (no padding) of a version byte and, per
 * project in the stream's order, its id (16 bytes) and its position (8 bytes): 2,050 characters for
 * the most projects a stream may have (64).
 *
 * <p>Threads: a stream's cursor is changed and read under its lock (see {@link ProjectsChannel}).
 */
public final class StreamCursor {

  public static final int MAX_PROJECTS = 64;
  private static final byte VERSION = 1;
  private static final int ENTRY = 24;

  private final List<UUID> projects;
  private final long[] positions;

  /** A cursor of the given projects, in this order, all at position 0. */
  StreamCursor(List<UUID> projects) {
    this.projects = List.copyOf(projects);
    this.positions = new long[projects.size()];
  }

  void set(int index, long position) {
    positions[index] = position;
  }

  int indexOf(UUID project) {
    return projects.indexOf(project);
  }

  String text() {
    var bytes = ByteBuffer.allocate(1 + ENTRY * projects.size());
    bytes.put(VERSION);
    for (int i = 0; i < projects.size(); i++) {
      var project = projects.get(i);
      bytes.putLong(project.getMostSignificantBits());
      bytes.putLong(project.getLeastSignificantBits());
      bytes.putLong(positions[i]);
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.array());
  }

  /**
   * The positions a cursor holds, by project.
   *
   * @throws IllegalArgumentException when the text is not a cursor this service makes
   */
  public static Map<UUID, Long> parse(String text) {
    if (text.length() > 4 * ((1 + ENTRY * MAX_PROJECTS + 2) / 3)) {
      throw new IllegalArgumentException("too long");
    }
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not base64url", e);
    }
    if (bytes.length < 1 + ENTRY
        || (bytes.length - 1) % ENTRY != 0
        || (bytes.length - 1) / ENTRY > MAX_PROJECTS
        || bytes[0] != VERSION) {
      throw new IllegalArgumentException("not a cursor");
    }
    var buffer = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
    var positions = new LinkedHashMap<UUID, Long>();
    while (buffer.hasRemaining()) {
      var project = new UUID(buffer.getLong(), buffer.getLong());
      long position = buffer.getLong();
      if (position < 0 || positions.put(project, position) != null) {
        throw new IllegalArgumentException("not a cursor");
      }
    }
    return positions;
  }
}
