package deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;

/** What the service itself says it serves and reads: server.xml, its sources, its documents. */
final class ServiceFacts {

  /** {@code @ConfigProperty(name = "X")}, or a lookup {@code getValue("X", ...)}. */
  private static final Pattern CONFIG_PROPERTY =
      Pattern.compile(
          "(?:@ConfigProperty\\(\\s*name\\s*=|get(?:Optional)?Value\\()\\s*\"([^\"]+)\"");

  /**
   * {@code @ConfigProperty(name = "x.y", defaultValue = "d")}, the default as text or as a constant
   * of the same file.
   */
  private static final Pattern CONFIG_PROPERTY_DEFAULT =
      Pattern.compile(
          "@ConfigProperty\\(\\s*name\\s*=\\s*\"([^\"]+)\"\\s*,\\s*defaultValue\\s*=\\s*"
              + "(?:\"([^\"]*)\"|([A-Z][A-Z0-9_]*))");

  private static final Pattern VARIABLE_NAME = Pattern.compile("`([A-Z][A-Z0-9_]*)`");

  private ServiceFacts() {}

  /** server.xml's variables and their defaults (an environment variable of the name wins). */
  static Map<String, String> serverVariables() {
    try {
      var factory = DocumentBuilderFactory.newInstance();
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      var document = factory.newDocumentBuilder().parse(Path.of("server.xml").toFile());
      var variables = document.getElementsByTagName("variable");
      var result = new LinkedHashMap<String, String>();
      for (int i = 0; i < variables.getLength(); i++) {
        var variable = (Element) variables.item(i);
        result.put(variable.getAttribute("name"), variable.getAttribute("defaultValue"));
      }
      return result;
    } catch (Exception e) {
      throw new IllegalStateException("cannot read server.xml", e);
    }
  }

  /**
   * The environment variables behind the configuration names the code reads, mapped as MicroProfile
   * Config maps them (mp.jwt.verify.issuer is read from MP_JWT_VERIFY_ISSUER).
   */
  static Set<String> configPropertyVariables() {
    var names = new LinkedHashSet<String>();
    try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
      for (var file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        var matcher = CONFIG_PROPERTY.matcher(Files.readString(file));
        while (matcher.find()) {
          names.add(matcher.group(1).replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return names;
  }

  /**
   * The code's defaults, by the environment variable of the setting (MicroProfile Config's
   * mapping): those {@code @ConfigProperty} gives.
   */
  static Map<String, String> configPropertyDefaults() {
    var defaults = new LinkedHashMap<String, String>();
    try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
      for (var file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        var source = Files.readString(file);
        var matcher = CONFIG_PROPERTY_DEFAULT.matcher(source);
        while (matcher.find()) {
          var value = matcher.group(2);
          if (value == null) {
            var constant =
                Pattern.compile(matcher.group(3) + "\\s*=\\s*\"([^\"]*)\"").matcher(source);
            if (!constant.find()) {
              throw new IllegalStateException(file + ": no constant " + matcher.group(3));
            }
            value = constant.group(1);
          }
          defaults.put(
              matcher.group(1).replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT), value);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return defaults;
  }

  /**
   * The defaults a document's configuration table gives, by variable: in a row that names several
   * variables, the n-th value in backquotes of the default column is the n-th variable's. A row
   * whose default column has fewer gives none to the rest ("none", "empty").
   */
  static Map<String, String> documentedDefaults(String document, String section) {
    var defaults = new LinkedHashMap<String, String>();
    boolean inSection = false;
    var quoted = Pattern.compile("`([^`]*)`");
    for (var line : Manifests.read(Path.of(document)).split("\n")) {
      if (line.startsWith("## ")) {
        inSection = line.substring(3).trim().equals(section);
      } else if (inSection && line.startsWith("| `")) {
        var cells = line.split("\\|");
        var names = VARIABLE_NAME.matcher(cells[1]);
        var values = quoted.matcher(cells[2]);
        while (names.find() && values.find()) {
          defaults.put(names.group(1), values.group(1));
        }
      }
    }
    return defaults;
  }

  /** The variables the service reads: server.xml's plus the code's. */
  static Set<String> variablesTheServiceReads() {
    var names = new LinkedHashSet<>(serverVariables().keySet());
    names.addAll(configPropertyVariables());
    return names;
  }

  /**
   * The variable names in the first column of the tables of a section ("## name") of a document of
   * the repository.
   */
  static Set<String> documentedVariables(String document, String section) {
    var names = new LinkedHashSet<String>();
    boolean inSection = false;
    for (var line : Manifests.read(Path.of(document)).split("\n")) {
      if (line.startsWith("## ")) {
        inSection = line.substring(3).trim().equals(section);
      } else if (inSection && line.startsWith("|")) {
        var cells = line.split("\\|");
        if (cells.length > 1) {
          var matcher = VARIABLE_NAME.matcher(cells[1]);
          while (matcher.find()) {
            names.add(matcher.group(1));
          }
        }
      }
    }
    return names;
  }

  /**
   * A metric the sources register: {@code registry.counter(...)}, {@code gauge}, {@code timer} or
   * {@code histogram}, named by a string or by {@code Metadata.builder().withName(...)}.
   */
  private static final Pattern REGISTERED_METRIC =
      Pattern.compile(
          "\\.(counter|gauge|timer|histogram)\\(\\s*(?:Metadata\\.builder\\(\\)\\s*"
              + "\\.withName\\(\\s*)?\"([a-z0-9_]+)\"");

  /**
   * The series names the service's own metrics have at /metrics, as MicroProfile Metrics writes
   * them in Prometheus text: a counter as {@code _total}; a gauge as named; a timer in seconds,
   * with its quantiles (unless configured away), {@code _bucket}, {@code _count}, {@code _sum} and
   * {@code _max}; a histogram likewise, without the unit. Mapped by the metric's main name (a
   * timer's is {@code _seconds}).
   */
  static Map<String, Set<String>> exportedMetrics() {
    var metrics = new java.util.TreeMap<String, Set<String>>();
    try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
      for (var file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        var matcher = REGISTERED_METRIC.matcher(Files.readString(file));
        while (matcher.find()) {
          var name = matcher.group(2);
          var main =
              switch (matcher.group(1)) {
                case "counter" -> name + "_total";
                case "timer" -> name + "_seconds";
                default -> name;
              };
          var series = new LinkedHashSet<String>();
          series.add(main);
          if (matcher.group(1).equals("timer") || matcher.group(1).equals("histogram")) {
            for (var suffix : new String[] {"_bucket", "_count", "_sum", "_max"}) {
              series.add(main + suffix);
            }
          }
          metrics.put(main, series);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return metrics;
  }

  /** The metric names in the first column of the operations guide's "Metrics" table. */
  static Set<String> documentedMetrics() {
    var names = new LinkedHashSet<String>();
    boolean inSection = false;
    for (var line : Manifests.read(Path.of("docs/operations.md")).split("\n")) {
      if (line.startsWith("## ")) {
        inSection = line.substring(3).trim().equals("Metrics");
      } else if (inSection && line.startsWith("| `")) {
        var matcher = Pattern.compile("`([a-z0-9_]+)`").matcher(line.split("\\|")[1]);
        while (matcher.find()) {
          names.add(matcher.group(1));
        }
      }
    }
    return names;
  }

  /**
   * The files and folders server.xml has Liberty write: {@code filePath} attributes and the
   * defaults of variables that name a folder under the server's output ({@code LOG_DIR}).
   */
  static Set<String> serverXmlPaths() {
    var paths = new LinkedHashSet<String>();
    var text = Manifests.read(Path.of("server.xml"));
    var filePath = Pattern.compile("filePath=\"([^\"]+)\"").matcher(text);
    while (filePath.find()) {
      paths.add(filePath.group(1));
    }
    serverVariables().values().stream()
        .filter(value -> value.startsWith("${server.output.dir}"))
        .forEach(paths::add);
    return paths;
  }

  /** Health check kinds the sources implement: Startup, Liveness, Readiness. */
  static Set<String> healthCheckKinds() {
    var kinds = new LinkedHashSet<String>();
    try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
      for (var file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        var source = Files.readString(file);
        for (var kind : new String[] {"Startup", "Liveness", "Readiness"}) {
          if (source.contains("import org.eclipse.microprofile.health." + kind + ";")
              && source.contains("@" + kind + "\n")) {
            kinds.add(kind);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return kinds;
  }
}
