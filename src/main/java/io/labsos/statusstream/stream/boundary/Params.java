package io.labsos.statusstream.stream.boundary;

import io.labsos.statusstream.ApiError;
import io.labsos.statusstream.stream.control.StreamCursor;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/** Strict parsing of what clients put in paths, queries and headers. */
final class Params {

  private static final Pattern UUID_TEXT =
      Pattern.compile(
          "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  /**
   * An event id as clients hold them: 1 to 19 digits (up to Long.MAX_VALUE), with spaces or tabs
   * around it ignored on both sides (HTTP ignores them around a header's value; the query is read
   * the same way).
   */
  private static final Pattern EVENT_ID = Pattern.compile("[ \\t]*([0-9]{1,19})[ \\t]*");

  private static final Pattern LIMIT = Pattern.compile("[ \\t]*([0-9]{1,4})[ \\t]*");

  private Params() {}

  static UUID projectId(String text) {
    if (text == null || !UUID_TEXT.matcher(text).matches()) {
      throw ApiError.badRequest("projectId must be a UUID");
    }
    return UUID.fromString(text);
  }

  /**
   * An event id cursor: absent is null; anything but a non-negative integer up to
   * 9223372036854775807 is refused.
   */
  static Long eventId(String name, String text) {
    if (text == null) {
      return null;
    }
    var matcher = EVENT_ID.matcher(text);
    if (matcher.matches()) {
      try {
        return Long.parseLong(matcher.group(1));
      } catch (NumberFormatException aboveLongRange) {
        // Refused below.
      }
    }
    throw ApiError.badRequest(name + " must be a non-negative integer");
  }

  static int limit(String text) {
    if (text == null) {
      return 100;
    }
    var matcher = LIMIT.matcher(text);
    if (!matcher.matches()) {
      throw ApiError.badRequest("limit must be an integer from 1 to 1000");
    }
    int limit = Integer.parseInt(matcher.group(1));
    if (limit < 1 || limit > 1000) {
      throw ApiError.badRequest("limit must be an integer from 1 to 1000");
    }
    return limit;
  }

  /**
   * The projects of a stream or poll of several: 1 to {@value StreamCursor#MAX_PROJECTS} UUIDs, in
   * the order given, each once (a repeated one counts once).
   */
  static List<UUID> projectIds(List<String> texts) {
    if (texts == null || texts.isEmpty()) {
      throw ApiError.badRequest("name at least one project: ?project=<id>&project=<id>...");
    }
    var projects = new LinkedHashSet<UUID>();
    for (var text : texts) {
      projects.add(projectId(text));
    }
    if (projects.size() > StreamCursor.MAX_PROJECTS) {
      throw ApiError.badRequest(
          "a request names at most " + StreamCursor.MAX_PROJECTS + " projects");
    }
    return new ArrayList<>(projects);
  }

  /**
   * The positions of a cursor of a stream of several projects; absent is empty; anything this
   * service did not make is refused.
   */
  static Map<UUID, Long> cursor(String name, String text) {
    if (text == null) {
      return Map.of();
    }
    try {
      return StreamCursor.parse(text.strip());
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest(name + " is not a cursor of this service");
    }
  }
}
