package io.labsos.statusstream.stream.boundary;

import io.labsos.statusstream.ApiError;
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
}
