package io.labsos.statusstream.settings;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Turns the texts of settings into typed values and collects what is wrong with them: the one way
 * the settings classes of the features check what they read.
 *
 * <p>Values are read as text and converted here, not by MicroProfile Config at injection: a value
 * that does not convert there aborts the deployment with a stack trace, where here it becomes a
 * problem that names the setting and says what it must be. A problem names the setting by its
 * environment variable, the form operators set it in ({@code stream.heartbeat.seconds} is {@code
 * STREAM_HEARTBEAT_SECONDS}, MicroProfile Config's own mapping), and never holds the value:
 * readiness shows these texts to anyone who reaches the management port. A refused setting yields
 * the fallback its caller gives, so that the instance runs on, not ready, until it is fixed.
 */
public final class SettingsCheck {

  private static final Pattern WHOLE = Pattern.compile("[0-9]{1,18}");
  private static final Pattern DECIMAL = Pattern.compile("[0-9]{1,15}(\\.[0-9]{1,9})?");

  private final List<String> problems = new ArrayList<>();

  /**
   * The environment variable of a MicroProfile Config property, as MicroProfile Config maps it:
   * each character that is no letter or digit an underscore, in upper case.
   */
  public static String variable(String property) {
    return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
  }

  /** A whole number of at least {@code min} (blanks around it ignored). */
  public long whole(String property, String text, long min, long fallback) {
    var value = text == null ? "" : text.strip();
    if (WHOLE.matcher(value).matches() && Long.parseLong(value) >= min) {
      return Long.parseLong(value);
    }
    refuse(property, "must be a whole number" + (min == 0 ? ", 0 or more" : " of at least " + min));
    return fallback;
  }

  /** A whole number from {@code min} to {@code max} (blanks around it ignored). */
  public int whole(String property, String text, int min, int max, int fallback) {
    var value = text == null ? "" : text.strip();
    if (WHOLE.matcher(value).matches()) {
      long parsed = Long.parseLong(value);
      if (parsed >= min && parsed <= max) {
        return (int) parsed;
      }
    }
    refuse(property, "must be a whole number from " + min + " to " + max);
    return fallback;
  }

  /** A TCP port: a whole number from 1 to 65535. */
  public int port(String property, String text, int fallback) {
    return whole(property, text, 1, 65535, fallback);
  }

  /** A number above 0, with a fraction if need be ({@code 72}, {@code 0.5}). */
  public double positive(String property, String text, double fallback) {
    var value = text == null ? "" : text.strip();
    if (DECIMAL.matcher(value).matches() && Double.parseDouble(value) > 0) {
      return Double.parseDouble(value);
    }
    refuse(property, "must be a number above 0 (such as 2 or 0.5)");
    return fallback;
  }

  /** One of the given words, exactly (blanks around it ignored). */
  public String oneOf(String property, String text, List<String> words, String fallback) {
    var value = text == null ? "" : text.strip();
    if (words.contains(value)) {
      return value;
    }
    refuse(property, "must be " + alternatives(words));
    return fallback;
  }

  /** Adds a problem of a setting that the other checks do not cover. */
  public void refuse(String property, String reason) {
    problems.add(variable(property) + " " + reason);
  }

  /** What was refused, in the order of the checks; empty when everything was fine. */
  public List<String> problems() {
    return List.copyOf(problems);
  }

  /** {@code a, b or c}. */
  static String alternatives(List<String> words) {
    if (words.size() == 1) {
      return words.get(0);
    }
    return String.join(", ", words.subList(0, words.size() - 1))
        + " or "
        + words.get(words.size() - 1);
  }
}
