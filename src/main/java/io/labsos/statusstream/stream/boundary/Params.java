package io.labsos.statusstream.stream.boundary;

import io.labsos.statusstream.ApiError;
import java.util.UUID;
import java.util.regex.Pattern;

/** Strict parsing of what clients put in paths, queries and headers. */
final class Params {

  private static final Pattern UUID_TEXT =
      Pattern.compile(
          "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Pattern EVENT_ID = Pattern.compile("[0-9]{1,18}");

  private Params() {}

  static UUID projectId(String text) {
    if (text == null || !UUID_TEXT.matcher(text).matches()) {
      throw ApiError.badRequest("projectId must be a UUID");
    }
    return UUID.fromString(text);
  }

  /** An event id cursor: absent is null; anything but a non-negative integer is refused. */
  static Long eventId(String name, String text) {
    if (text == null) {
      return null;
    }
    if (!EVENT_ID.matcher(text).matches()) {
      throw ApiError.badRequest(name + " must be a non-negative integer");
    }
    return Long.parseLong(text);
  }

  static int limit(String text) {
    if (text == null) {
      return 100;
    }
    if (!EVENT_ID.matcher(text).matches() || text.length() > 4) {
      throw ApiError.badRequest("limit must be an integer from 1 to 1000");
    }
    int limit = Integer.parseInt(text);
    if (limit < 1 || limit > 1000) {
      throw ApiError.badRequest("limit must be an integer from 1 to 1000");
    }
    return limit;
  }
}
