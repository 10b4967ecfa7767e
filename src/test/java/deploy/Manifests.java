package deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.yaml.snakeyaml.Yaml;

/**
 * The Kustomize base in deploy/, rendered: by {@code kubectl kustomize} where kubectl is installed,
 * else by reading the files its kustomization.yaml lists and applying what it says (its labels).
 * Also the base with the monitoring component, deploy/monitoring, as an overlay would use them.
 */
final class Manifests {

  static final Path BASE = Path.of("deploy");
  static final Path MONITORING = BASE.resolve("monitoring");

  /** An overlay of the base with the monitoring component, made for kubectl to render. */
  private static final Path WITH_MONITORING = Path.of("target", "deploy-with-monitoring");

  private Manifests() {}

  /** kubectl on the PATH, if any. */
  static Optional<Path> kubectl() {
    var path = System.getenv().getOrDefault("PATH", "");
    return Stream.of(path.split(":"))
        .filter(dir -> !dir.isEmpty())
        .map(dir -> Path.of(dir, "kubectl"))
        .filter(Files::isExecutable)
        .findFirst();
  }

  /** The base's objects, by kubectl where it is installed. */
  static List<Map<String, Object>> render() {
    return kubectl().map(Manifests::renderWith).orElseGet(Manifests::renderFromFiles);
  }

  /** The base's and the monitoring component's objects, by kubectl where it is installed. */
  static List<Map<String, Object>> renderWithMonitoring() {
    return kubectl()
        .map(Manifests::renderWithMonitoringWith)
        .orElseGet(Manifests::renderWithMonitoringFromFiles);
  }

  static List<Map<String, Object>> renderWith(Path kubectl) {
    return kustomize(kubectl, BASE);
  }

  static List<Map<String, Object>> renderWithMonitoringWith(Path kubectl) {
    try {
      Files.createDirectories(WITH_MONITORING);
      Files.writeString(
          WITH_MONITORING.resolve("kustomization.yaml"),
          """
          resources:
            - ../../deploy
          components:
            - ../../deploy/monitoring
          """);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return kustomize(kubectl, WITH_MONITORING);
  }

  private static List<Map<String, Object>> kustomize(Path kubectl, Path dir) {
    try {
      var process =
          new ProcessBuilder(kubectl.toString(), "kustomize", dir.toString())
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      var out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IllegalStateException("kubectl kustomize " + dir + " failed");
      }
      return parse(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * What kustomize makes of the base: its resources, with the labels of its {@code labels} entries
   * on every object and, with {@code includeTemplates}, on the pod templates. Anything else in
   * kustomization.yaml (patches, generators, selector labels) would change the objects in other
   * ways, so it is refused here rather than silently ignored.
   */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> renderFromFiles() {
    var kustomization = kustomization(BASE, Set.of("resources", "labels"));
    var objects = resources(BASE, kustomization);
    var labels = (List<Map<String, Object>>) kustomization.get("labels");
    for (var entry : labels == null ? List.<Map<String, Object>>of() : labels) {
      if (Boolean.TRUE.equals(entry.get("includeSelectors"))) {
        throw new IllegalStateException("labels with includeSelectors: render with kubectl");
      }
      var pairs = (Map<String, Object>) entry.get("pairs");
      for (var object : objects) {
        labelsOf(object).putAll(pairs);
        Map<String, Object> template = at(object, "spec", "template");
        if (Boolean.TRUE.equals(entry.get("includeTemplates")) && template != null) {
          labelsOf(template).putAll(pairs);
        }
      }
    }
    return objects;
  }

  /**
   * The base and the monitoring component: the component's resources, and the ConfigMaps of its
   * generator (files only, with its labels and no name suffix).
   */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> renderWithMonitoringFromFiles() {
    var objects = renderFromFiles();
    var component = kustomization(MONITORING, Set.of("resources", "configMapGenerator"));
    objects.addAll(resources(MONITORING, component));
    var generators = (List<Map<String, Object>>) component.get("configMapGenerator");
    for (var generator : generators == null ? List.<Map<String, Object>>of() : generators) {
      var options = (Map<String, Object>) generator.getOrDefault("options", Map.of());
      var unsupported = new java.util.HashSet<>(generator.keySet());
      unsupported.removeAll(Set.of("name", "files", "options"));
      if (!unsupported.isEmpty() || !Boolean.TRUE.equals(options.get("disableNameSuffixHash"))) {
        throw new IllegalStateException(
            "configMapGenerator " + generator + ": render with kubectl");
      }
      var data = new java.util.LinkedHashMap<String, Object>();
      for (var file : (List<String>) generator.get("files")) {
        var key = file.contains("=") ? file.substring(0, file.indexOf('=')) : file;
        data.put(key, read(MONITORING.resolve(file.substring(file.indexOf('=') + 1))));
      }
      var metadata = new java.util.LinkedHashMap<String, Object>();
      metadata.put("name", generator.get("name"));
      if (options.containsKey("labels")) {
        metadata.put(
            "labels", new java.util.LinkedHashMap<>((Map<String, Object>) options.get("labels")));
      }
      var configMap = new java.util.LinkedHashMap<String, Object>();
      configMap.put("apiVersion", "v1");
      configMap.put("kind", "ConfigMap");
      configMap.put("metadata", metadata);
      configMap.put("data", data);
      objects.add(configMap);
    }
    return objects;
  }

  private static Map<String, Object> kustomization(Path dir, Set<String> supported) {
    Map<String, Object> kustomization = parse(read(dir.resolve("kustomization.yaml"))).get(0);
    var unsupported = new java.util.HashSet<>(kustomization.keySet());
    unsupported.removeAll(Set.of("apiVersion", "kind"));
    unsupported.removeAll(supported);
    if (!unsupported.isEmpty()) {
      throw new IllegalStateException(
          dir + "/kustomization.yaml uses " + unsupported + ": render it with kubectl kustomize");
    }
    return kustomization;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> resources(Path dir, Map<String, Object> kustomization) {
    var objects = new ArrayList<Map<String, Object>>();
    for (var resource : (List<String>) kustomization.get("resources")) {
      objects.addAll(parse(read(dir.resolve(resource))));
    }
    return objects;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> labelsOf(Map<String, Object> object) {
    var metadata =
        (Map<String, Object>)
            object.computeIfAbsent("metadata", k -> new java.util.LinkedHashMap<>());
    return (Map<String, Object>)
        metadata.computeIfAbsent("labels", k -> new java.util.LinkedHashMap<>());
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> parse(String yaml) {
    var objects = new ArrayList<Map<String, Object>>();
    for (var document : new Yaml().loadAll(yaml)) {
      if (document != null) {
        objects.add((Map<String, Object>) document);
      }
    }
    return objects;
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The one object of that kind. */
  static Map<String, Object> only(List<Map<String, Object>> objects, String kind) {
    var found = objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
    if (found.size() != 1) {
      throw new AssertionError("expected one " + kind + ", found " + found.size());
    }
    return found.get(0);
  }

  /** The value at a path of map keys and list indexes, e.g. at(o, "spec", "template", "spec"). */
  @SuppressWarnings("unchecked")
  static <T> T at(Object node, Object... path) {
    Object current = node;
    for (var step : path) {
      if (current == null) {
        return null;
      }
      current =
          step instanceof Integer i
              ? ((List<Object>) current).get(i)
              : ((Map<?, ?>) current).get(step);
    }
    return (T) current;
  }
}
