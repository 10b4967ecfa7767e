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
 * The Kustomize base in deploy/, rendered: by {@code kubectl kustomize deploy} where kubectl is
 * installed, else by reading the files its kustomization.yaml lists (which is all the base does).
 */
final class Manifests {

  static final Path BASE = Path.of("deploy");

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

  /** The rendered objects, by kubectl where it is installed. */
  static List<Map<String, Object>> render() {
    return kubectl().map(Manifests::renderWith).orElseGet(Manifests::renderFromFiles);
  }

  static List<Map<String, Object>> renderWith(Path kubectl) {
    try {
      var process =
          new ProcessBuilder(kubectl.toString(), "kustomize", BASE.toString())
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      var out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IllegalStateException("kubectl kustomize " + BASE + " failed");
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
   * What kustomize makes of a base that only lists resources. Anything else in kustomization.yaml
   * (patches, generators, labels) would change the objects, so it is refused here rather than
   * silently ignored.
   */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> renderFromFiles() {
    Map<String, Object> kustomization = parse(read(BASE.resolve("kustomization.yaml"))).get(0);
    var unsupported = new java.util.HashSet<>(kustomization.keySet());
    unsupported.removeAll(Set.of("apiVersion", "kind", "resources"));
    if (!unsupported.isEmpty()) {
      throw new IllegalStateException(
          "kustomization.yaml uses " + unsupported + ": render it with kubectl kustomize");
    }
    var objects = new ArrayList<Map<String, Object>>();
    for (var resource : (List<String>) kustomization.get("resources")) {
      objects.addAll(parse(read(BASE.resolve(resource))));
    }
    return objects;
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
