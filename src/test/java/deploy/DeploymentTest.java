package deploy;

import static deploy.Manifests.at;
import static deploy.Manifests.only;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes base in deploy/ against the service it deploys: the probes ask the health checks
 * the service has, on the port it listens on, every variable set is one it reads, HTTPS is served
 * from a mounted TLS Secret, and the stop sequence fits in the grace period. No cluster: the
 * manifests are rendered and read.
 */
class DeploymentTest {

  /** Liberty's quiesce stage lasts at most 30 s (the server stop command's documentation). */
  private static final int LIBERTY_QUIESCE_SECONDS = 30;

  /**
   * After the quiesce: the application stops (closing every open stream) and the server shuts down.
   * Measured here at 1 to 5 s; 10 s leaves room for a loaded node.
   */
  private static final int SHUTDOWN_AFTER_QUIESCE_SECONDS = 10;

  /** JVM memory outside the heap: metaspace, JIT code cache, thread stacks, direct buffers. */
  private static final long NON_HEAP_BYTES = 512L << 20;

  /**
   * Where the Open Liberty image has Liberty write (its Dockerfile's ENV: LOG_DIR and
   * WLP_OUTPUT_DIR), and /tmp, where the server script writes its here-documents and the JVM its
   * temporary files. The server's configuration, /config, is only read.
   */
  private static final String IMAGE_LOG_DIR = "/logs";

  private static final String IMAGE_OUTPUT_DIR = "/opt/ol/wlp/output";

  /**
   * The image names its one server defaultServer: its output is in WLP_OUTPUT_DIR/defaultServer.
   */
  private static final String IMAGE_SERVER = "defaultServer";

  /**
   * Variables of the image's start script (docker-server.sh) that make it write into /config before
   * the server starts (a TLS configuration snippet, a keystore from mounted certificates, the
   * cluster's CA certificates): with a read-only root, the container would not start.
   */
  private static final Set<String> IMAGE_VARIABLES_THAT_WRITE_CONFIG =
      Set.of("SSL", "TLS", "TLS_DIR", "SEC_IMPORT_K8S_CERTS", "SEC_TLS_TRUSTDEFAULTCERTS");

  /** The recommended labels the base puts on every object (version is the overlay's). */
  private static final Set<String> RECOMMENDED_LABELS =
      Set.of(
          "app.kubernetes.io/name",
          "app.kubernetes.io/instance",
          "app.kubernetes.io/component",
          "app.kubernetes.io/part-of",
          "app.kubernetes.io/managed-by");

  private static List<Map<String, Object>> objects;
  private static Map<String, Object> pod;
  private static Map<String, Object> container;

  @BeforeAll
  static void render() {
    objects = Manifests.render();
    var deployment = only(objects, "Deployment");
    pod = at(deployment, "spec", "template", "spec");
    List<Map<String, Object>> containers = at(pod, "containers");
    assertThat(containers).hasSize(1);
    container = containers.get(0);
  }

  @Test
  void theFilesRenderAsKubectlRendersThem() {
    var kubectl = Manifests.kubectl();
    assumeTrue(kubectl.isPresent(), "kubectl is not installed: the files alone were read");
    assertThat(Manifests.renderFromFiles())
        .containsExactlyInAnyOrderElementsOf(Manifests.renderWith(kubectl.get()));
  }

  @Test
  void probesAskTheHealthChecksTheServiceHas() {
    var kinds = ServiceFacts.healthCheckKinds();
    assertThat(kinds).containsExactlyInAnyOrder("Startup", "Liveness", "Readiness");
    // MicroProfile Health serves each kind of check at its own path.
    assertThat((String) at(container, "startupProbe", "httpGet", "path"))
        .isEqualTo("/health/started");
    assertThat((String) at(container, "livenessProbe", "httpGet", "path"))
        .isEqualTo("/health/live");
    assertThat((String) at(container, "readinessProbe", "httpGet", "path"))
        .isEqualTo("/health/ready");
    // Health checks answer on the management port, not on the HTTP port browsers reach.
    for (var probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
      assertThat(containerPort(at(container, probe, "httpGet", "port")))
          .as(probe + " port")
          .isEqualTo(managementPort());
    }
  }

  @Test
  void probesAllowForMigrationsAndTheServicesOwnStallDetection() {
    // A first start migrates the schema: give it minutes, not seconds.
    assertThat(window("startupProbe")).isGreaterThanOrEqualTo(120);
    // /health/live already waits LISTENER_STALL_SECONDS before it says DOWN; a slow answer or
    // two under load must not restart the pod.
    assertThat((Integer) at(container, "livenessProbe", "failureThreshold"))
        .isGreaterThanOrEqualTo(3);
    assertThat((Integer) at(container, "livenessProbe", "timeoutSeconds"))
        .isGreaterThanOrEqualTo(5);
    // Readiness may wait for a pooled connection (connectionTimeout 5 s in server.xml).
    assertThat((Integer) at(container, "readinessProbe", "timeoutSeconds")).isGreaterThan(5);
  }

  private int window(String probe) {
    int period = at(container, probe, "periodSeconds");
    int failures = at(container, probe, "failureThreshold");
    return period * failures;
  }

  @Test
  void containerPortIsTheServersHttpPort() {
    List<Map<String, Object>> ports = at(container, "ports");
    assertThat(ports).extracting(p -> p.get("containerPort")).contains(httpPort());
    var service = only(objects, "Service");
    Object targetPort = at(service, "spec", "ports", 0, "targetPort");
    assertThat(containerPort(targetPort)).as("the Service's targetPort").isEqualTo(httpPort());
    Map<String, String> annotations =
        at(only(objects, "Deployment"), "spec", "template", "metadata", "annotations");
    if (annotations != null && annotations.containsKey("prometheus.io/port")) {
      assertThat(Integer.parseInt(annotations.get("prometheus.io/port")))
          .as("metrics are on the management port")
          .isEqualTo(managementPort());
    }
    // The management port (health, metrics) is the container's, never the Service's.
    assertThat(ports).extracting(p -> p.get("containerPort")).contains(managementPort());
    List<Map<String, Object>> servicePorts = at(service, "spec", "ports");
    for (var servicePort : servicePorts) {
      assertThat(containerPort(servicePort.get("targetPort"))).isNotEqualTo(managementPort());
    }
  }

  /** MANAGEMENT_PORT as the pod sets it, else server.xml's default. */
  private static int managementPort() {
    var value = environment().get("MANAGEMENT_PORT");
    return Integer.parseInt(
        value != null ? value : ServiceFacts.serverVariables().get("MANAGEMENT_PORT"));
  }

  /** HTTPS_PORT as the pod sets it, else server.xml's default. */
  private static int httpsPort() {
    var value = environment().get("HTTPS_PORT");
    return Integer.parseInt(
        value != null ? value : ServiceFacts.serverVariables().get("HTTPS_PORT"));
  }

  /** HTTP_PORT as the pod sets it, else server.xml's default. */
  private static int httpPort() {
    var value = environment().get("HTTP_PORT");
    return Integer.parseInt(
        value != null ? value : ServiceFacts.serverVariables().get("HTTP_PORT"));
  }

  /** A port given by number or by the name of one of the container's ports. */
  private static int containerPort(Object port) {
    if (port instanceof Integer number) {
      return number;
    }
    List<Map<String, Object>> ports = at(container, "ports");
    return ports.stream()
        .filter(p -> port.equals(p.get("name")))
        .map(p -> (Integer) p.get("containerPort"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no container port named " + port));
  }

  @Test
  void everyVariableSetIsOneTheServiceOrLibertyReads() {
    // The README's configuration table, and each of its names really read by the service.
    var documented = ServiceFacts.documentedVariables("README.md", "Configuration");
    var read = ServiceFacts.variablesTheServiceReads();
    assertThat(read).as("read by server.xml or @ConfigProperty").containsAll(documented);
    // Liberty's own (logging, JVM options), which the operations guide lists under "Logs".
    var known = new LinkedHashSet<>(read);
    known.addAll(ServiceFacts.documentedVariables("docs/operations.md", "Logs"));

    var names = environment().keySet();
    assertThat(names).isNotEmpty();
    assertThat(known).as("variables the service or Liberty reads").containsAll(names);
    // And each is documented where an operator looks for it.
    var tables = new LinkedHashSet<>(documented);
    tables.addAll(ServiceFacts.documentedVariables("docs/operations.md", "Logs"));
    assertThat(tables).as("the README's configuration and the logs table").containsAll(names);
  }

  /**
   * The pod's environment: the ConfigMaps and Secrets its envFrom names (each must exist), then its
   * env.
   */
  private static Map<String, String> environment() {
    return environment(container);
  }

  /** A container's environment, as {@link #environment()}. */
  private static Map<String, String> environment(Map<String, Object> container) {
    var environment = new java.util.LinkedHashMap<String, String>();
    List<Map<String, Object>> sources = at(container, "envFrom");
    for (var source : sources == null ? List.<Map<String, Object>>of() : sources) {
      var kind = source.containsKey("configMapRef") ? "ConfigMap" : "Secret";
      String name = at(source, kind.equals("ConfigMap") ? "configMapRef" : "secretRef", "name");
      var object =
          objects.stream()
              .filter(o -> kind.equals(o.get("kind")) && name.equals(at(o, "metadata", "name")))
              .findFirst()
              .orElseThrow(
                  () -> new AssertionError("envFrom names a missing " + kind + " " + name));
      for (var field : List.of("data", "stringData")) {
        Map<String, Object> data = at(object, field);
        if (data != null) {
          data.forEach(
              (k, v) -> environment.put(k, kind.equals("ConfigMap") ? String.valueOf(v) : null));
        }
      }
    }
    List<Map<String, Object>> env = at(container, "env");
    for (var variable : env == null ? List.<Map<String, Object>>of() : env) {
      environment.put((String) variable.get("name"), (String) variable.get("value"));
    }
    return environment;
  }

  @Test
  void theDisruptionBudgetAndTheServiceSelectTheDeploymentsPods() {
    var deployment = only(objects, "Deployment");
    Map<String, String> podLabels = at(deployment, "spec", "template", "metadata", "labels");
    Map<String, String> deploymentSelector = at(deployment, "spec", "selector", "matchLabels");
    Map<String, String> budgetSelector =
        at(only(objects, "PodDisruptionBudget"), "spec", "selector", "matchLabels");
    Map<String, String> serviceSelector = at(only(objects, "Service"), "spec", "selector");
    for (var selector : List.of(deploymentSelector, budgetSelector, serviceSelector)) {
      assertThat(selector).isNotEmpty();
      assertThat(podLabels).containsAllEntriesOf(selector);
    }
    // A budget that allows no disruption would block every node drain.
    var budget = only(objects, "PodDisruptionBudget");
    Object maxUnavailable = at(budget, "spec", "maxUnavailable");
    Object minAvailable = at(budget, "spec", "minAvailable");
    int replicas = at(deployment, "spec", "replicas");
    if (maxUnavailable != null) {
      assertThat((Integer) maxUnavailable).isPositive();
    } else {
      assertThat((Integer) minAvailable).isLessThan(replicas);
    }
    assertThat(replicas).as("replicas: clients need another pod to resume on").isGreaterThan(1);
  }

  @Test
  void gracePeriodCoversPreStopAndTheServersStop() {
    int grace = at(pod, "terminationGracePeriodSeconds");
    assertThat(grace)
        .isGreaterThan(preStopSeconds() + LIBERTY_QUIESCE_SECONDS + SHUTDOWN_AFTER_QUIESCE_SECONDS);
  }

  /** The preStop hook's sleep: an exec of sleep N, or Kubernetes' own sleep action. */
  private static int preStopSeconds() {
    Map<String, Object> preStop = at(container, "lifecycle", "preStop");
    assertThat(preStop).as("a preStop hook: endpoints drop the pod before it stops").isNotNull();
    if (preStop.containsKey("sleep")) {
      return at(preStop, "sleep", "seconds");
    }
    List<String> command = at(preStop, "exec", "command");
    assertThat(command).hasSize(2);
    assertThat(command.get(0)).endsWith("sleep");
    int seconds = Integer.parseInt(command.get(1));
    assertThat(seconds).isPositive();
    return seconds;
  }

  @Test
  void theHeapFitsTheMemoryLimit() {
    heapFits(container);
    heapFits(migrationContainer());
  }

  private static void heapFits(Map<String, Object> container) {
    long limit = bytes(at(container, "resources", "limits", "memory"));
    long request = bytes(at(container, "resources", "requests", "memory"));
    assertThat(request).as("memory request").isPositive().isLessThanOrEqualTo(limit);
    assertThat((Object) at(container, "resources", "requests", "cpu")).isNotNull();

    var options = String.valueOf(environment(container).getOrDefault("JVM_ARGS", ""));
    var percentage = Pattern.compile("-XX:MaxRAMPercentage=([0-9.]+)").matcher(options);
    var xmx = Pattern.compile("-Xmx([0-9]+)([kKmMgG]?)").matcher(options);
    long heap;
    if (percentage.find()) {
      heap = (long) (limit * Double.parseDouble(percentage.group(1)) / 100);
    } else if (xmx.find()) {
      heap = bytes(xmx.group(1) + xmx.group(2).toUpperCase() + (xmx.group(2).isEmpty() ? "" : "i"));
    } else {
      throw new AssertionError(
          "JVM_ARGS sets no heap size: the JVM's default takes 25% of the limit");
    }
    assertThat(heap + NON_HEAP_BYTES).as("heap and the rest of the JVM").isLessThanOrEqualTo(limit);
  }

  /** A Kubernetes memory quantity in bytes (plain, k/M/G, Ki/Mi/Gi). */
  static long bytes(String quantity) {
    var matcher = Pattern.compile("([0-9]+)([KMG]i?|k)?").matcher(quantity);
    if (!matcher.matches()) {
      throw new AssertionError("unsupported quantity " + quantity);
    }
    long value = Long.parseLong(matcher.group(1));
    var unit = matcher.group(2) == null ? "" : matcher.group(2);
    return switch (unit) {
      case "" -> value;
      case "k", "K" -> value * 1000;
      case "M" -> value * 1000_000;
      case "G" -> value * 1000_000_000;
      case "Ki" -> value << 10;
      case "Mi" -> value << 20;
      case "Gi" -> value << 30;
      default -> throw new AssertionError(unit);
    };
  }

  /**
   * Where Open Liberty's image keeps the server's output (WLP_OUTPUT_DIR, server defaultServer).
   */
  private static final String IMAGE_SERVER_OUTPUT = "/opt/ol/wlp/output/defaultServer";

  @Test
  void httpsServesTheMountedTlsSecretOnTheServersHttpsPort() {
    var environment = environment();
    var certificate = environment.get("TLS_CERT_FILE");
    var key = environment.get("TLS_KEY_FILE");
    assertThat(certificate).as("TLS_CERT_FILE").isNotBlank();
    assertThat(key).as("TLS_KEY_FILE").isNotBlank();
    var folder = certificate.substring(0, certificate.lastIndexOf('/'));
    assertThat(key).as("both files in one mounted Secret").startsWith(folder + "/");

    // A whole Secret volume at that folder (Kubernetes updates no subPath mount on renewal), whose
    // keys are the kubernetes.io/tls ones.
    var mount = volumeMount(folder);
    assertThat(mount).as("a volume mounted at " + folder).isNotNull();
    assertThat(mount).doesNotContainKey("subPath");
    assertThat(mount.get("readOnly")).isEqualTo(true);
    var volume = volume((String) mount.get("name"));
    assertThat((String) at(volume, "secret", "secretName")).isNotBlank();
    assertThat((Object) at(volume, "secret", "items")).as("the Secret's own keys").isNull();
    assertThat(certificate).endsWith("/tls.crt");
    assertThat(key).endsWith("/tls.key");

    // The container's https port is the server's HTTPS_PORT, and the Service publishes it.
    var httpsPort =
        Integer.parseInt(
            environment.getOrDefault(
                "HTTPS_PORT", ServiceFacts.serverVariables().get("HTTPS_PORT")));
    assertThat(containerPort("https")).isEqualTo(httpsPort);
    List<Map<String, Object>> servicePorts = at(only(objects, "Service"), "spec", "ports");
    assertThat(servicePorts)
        .extracting(p -> containerPort(p.get("targetPort")))
        .contains(httpsPort);

    // The keystore the service copies the key into: the folder server.xml names, in memory.
    assertThat(ServiceFacts.serverVariables().get("status-stream.tls.dir"))
        .isEqualTo("${server.output.dir}/tls");
    var keystore = volumeMount(IMAGE_SERVER_OUTPUT + "/tls");
    assertThat(keystore).as("a volume at the keystore's folder").isNotNull();
    assertThat((String) at(volume((String) keystore.get("name")), "emptyDir", "medium"))
        .isEqualTo("Memory");
  }

  private static Map<String, Object> volumeMount(String path) {
    List<Map<String, Object>> mounts = at(container, "volumeMounts");
    return mounts == null
        ? null
        : mounts.stream().filter(m -> path.equals(m.get("mountPath"))).findFirst().orElse(null);
  }

  private static Map<String, Object> volume(String name) {
    List<Map<String, Object>> volumes = at(pod, "volumes");
    return volumes.stream()
        .filter(v -> name.equals(v.get("name")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name));
  }

  @Test
  void theRootFilesystemIsReadOnlyAndEveryFolderLibertyWritesIsAVolume() {
    assertThat((Boolean) at(container, "securityContext", "readOnlyRootFilesystem")).isTrue();
    var writable = writableFolders();
    var env = environment();
    var logDir = env.getOrDefault("LOG_DIR", IMAGE_LOG_DIR);
    var outputDir = env.getOrDefault("WLP_OUTPUT_DIR", IMAGE_OUTPUT_DIR);
    assertThat(logDir).as("LOG_DIR").satisfies(dir -> assertWritable(dir, writable));
    assertThat(outputDir).as("WLP_OUTPUT_DIR").satisfies(dir -> assertWritable(dir, writable));
    assertWritable("/tmp", writable);
    // Every file server.xml writes is under LOG_DIR or the server's output folder.
    var serverOutput = outputDir + "/" + IMAGE_SERVER;
    var written = ServiceFacts.serverXmlPaths();
    assertThat(written).as("paths server.xml writes").isNotEmpty();
    for (var path : written) {
      var resolved =
          path.replace("${LOG_DIR}", logDir)
              .replace("${server.output.dir}", serverOutput)
              .replace("${wlp.output.dir}", outputDir);
      assertThat(resolved).as(path).doesNotContain("${");
      assertWritable(resolved, writable);
    }
    // The image's start script writes /config only when told to by these.
    assertThat(env.keySet()).doesNotContainAnyElementsOf(IMAGE_VARIABLES_THAT_WRITE_CONFIG);
    assertThat(writable).noneMatch(dir -> dir.startsWith("/etc/x509"));
  }

  /** The container's mount paths of writable volumes, each an emptyDir with a size limit. */
  private static Set<String> writableFolders() {
    Map<String, Map<String, Object>> volumes = new java.util.HashMap<>();
    List<Map<String, Object>> declared = at(pod, "volumes");
    for (var volume : declared == null ? List.<Map<String, Object>>of() : declared) {
      volumes.put((String) volume.get("name"), volume);
    }
    var folders = new java.util.TreeSet<String>();
    List<Map<String, Object>> mounts = at(container, "volumeMounts");
    for (var mount : mounts == null ? List.<Map<String, Object>>of() : mounts) {
      var volume = volumes.get((String) mount.get("name"));
      assertThat(volume).as("volume " + mount.get("name")).isNotNull();
      if (Boolean.TRUE.equals(mount.get("readOnly"))) {
        continue;
      }
      assertThat((Object) at(volume, "emptyDir", "sizeLimit"))
          .as("a size limit on " + mount.get("mountPath"))
          .isNotNull();
      folders.add((String) mount.get("mountPath"));
    }
    return folders;
  }

  private static void assertWritable(String path, Set<String> writable) {
    assertThat(writable)
        .as(path + " is on a writable volume")
        .anyMatch(dir -> path.equals(dir) || path.startsWith(dir + "/"));
  }

  @Test
  void thePodCarriesNoServiceAccountToken() {
    assertThat((Boolean) at(pod, "automountServiceAccountToken")).isFalse();
  }

  @Test
  void everyObjectHasTheRecommendedLabelsAndSelectorsUseTheNameAlone() {
    for (var object : objects) {
      Map<String, String> labels = at(object, "metadata", "labels");
      assertThat(labels)
          .as(object.get("kind") + " labels")
          .containsKeys(RECOMMENDED_LABELS.toArray(String[]::new));
    }
    var deployment = only(objects, "Deployment");
    Map<String, String> podLabels = at(deployment, "spec", "template", "metadata", "labels");
    assertThat(podLabels).containsKeys(RECOMMENDED_LABELS.toArray(String[]::new));
    // A Deployment's selector cannot change: it names only what never will.
    Map<String, String> selector = at(deployment, "spec", "selector", "matchLabels");
    assertThat(selector).containsOnlyKeys("app.kubernetes.io/name");
  }

  @Test
  void podsSpreadOverZonesAndNodes() {
    Map<String, String> podLabels =
        at(only(objects, "Deployment"), "spec", "template", "metadata", "labels");
    List<Map<String, Object>> constraints = at(pod, "topologySpreadConstraints");
    var keys = new java.util.HashSet<String>();
    for (var constraint : constraints) {
      Map<String, String> selector = at(constraint, "labelSelector", "matchLabels");
      assertThat(podLabels).containsAllEntriesOf(selector);
      assertThat((Integer) constraint.get("maxSkew")).isEqualTo(1);
      keys.add((String) constraint.get("topologyKey"));
    }
    assertThat(keys).contains("topology.kubernetes.io/zone", "kubernetes.io/hostname");
  }

  @Test
  void theNetworkPolicyLetsTheIngressReachTheHttpPortsAndMonitoringTheManagementPort() {
    var policy = only(objects, "NetworkPolicy");
    Map<String, String> podLabels =
        at(only(objects, "Deployment"), "spec", "template", "metadata", "labels");
    Map<String, String> selector = at(policy, "spec", "podSelector", "matchLabels");
    assertThat(selector).isNotEmpty();
    assertThat(podLabels).containsAllEntriesOf(selector);
    assertThat((List<String>) at(policy, "spec", "policyTypes")).contains("Ingress");

    // Which namespaces may reach which port: every rule names its ports and its sources.
    var sources = new java.util.HashMap<Integer, Set<String>>();
    List<Map<String, Object>> rules = at(policy, "spec", "ingress");
    for (var rule : rules) {
      List<Map<String, Object>> ports = at(rule, "ports");
      List<Map<String, Object>> from = at(rule, "from");
      assertThat(ports).as("a rule without ports opens every port").isNotEmpty();
      assertThat(from).as("a rule without sources admits anyone").isNotEmpty();
      var namespaces = new java.util.HashSet<String>();
      for (var peer : from) {
        assertThat(peer).as("sources are namespaces").containsOnlyKeys("namespaceSelector");
        namespaces.add(at(peer, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"));
      }
      for (var port : ports) {
        sources
            .computeIfAbsent(containerPort(port.get("port")), p -> new java.util.HashSet<>())
            .addAll(namespaces);
      }
    }
    assertThat(sources).containsOnlyKeys(httpPort(), httpsPort(), managementPort());
    assertThat(sources.get(httpPort())).containsExactly("ingress-nginx");
    assertThat(sources.get(httpsPort())).containsExactly("ingress-nginx");
    assertThat(sources.get(managementPort())).containsExactly("monitoring");
  }

  @Test
  void secretsStayOutOfTheConfigMap() {
    var configMap = only(objects, "ConfigMap");
    Map<String, Object> data = at(configMap, "data");
    assertThat(data).doesNotContainKeys("DB_PASSWORD", "MP_JWT_VERIFY_PUBLICKEY");
    List<Map<String, Object>> sources = at(container, "envFrom");
    var secretName =
        sources.stream()
            .filter(source -> source.containsKey("secretRef"))
            .map(source -> (String) at(source, "secretRef", "name"))
            .findFirst()
            .orElseThrow();
    var secret = named(objects, "Secret", secretName);
    Map<String, Object> secretData = at(secret, "stringData");
    assertThat(secretData).containsKeys("DB_PASSWORD", "MP_JWT_VERIFY_PUBLICKEY");
    assertThat(Set.copyOf(ServiceFacts.documentedVariables("README.md", "Configuration")))
        .containsAll(secretData.keySet());
  }

  private static Map<String, Object> migrationContainer() {
    List<Map<String, Object>> containers =
        at(only(objects, "Job"), "spec", "template", "spec", "containers");
    assertThat(containers).hasSize(1);
    return containers.get(0);
  }

  /** The object of that kind and name. */
  private static Map<String, Object> named(
      List<Map<String, Object>> objects, String kind, String name) {
    return objects.stream()
        .filter(o -> kind.equals(o.get("kind")) && name.equals(at(o, "metadata", "name")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
  }

  @Test
  void theServiceOnlyChecksTheSchemaThatTheMigrationJobMigrates() {
    assertThat(environment().get("SCHEMA_MIGRATION")).isEqualTo("validate");
    var job = only(objects, "Job");
    var migration = migrationContainer();
    assertThat((String) at(migration, "image")).isEqualTo(at(container, "image"));

    // The image's migration step, where the Containerfile puts it, starting the server the image
    // runs; it sets SCHEMA_MIGRATION=auto itself, whatever the ConfigMap says.
    List<String> command = at(migration, "command");
    var containerfile = Manifests.read(Path.of("Containerfile"));
    assertThat(containerfile)
        .contains("COPY --chown=1001:0 bin/migrate " + command.get(0) + "\n")
        .contains("exec " + String.join(" ", command.subList(1, command.size())));
    assertThat(Manifests.read(Path.of("bin/migrate"))).contains("export SCHEMA_MIGRATION=auto\n");

    // Runs to its end once: a deadline ends a migration that cannot succeed.
    assertThat((String) at(job, "spec", "template", "spec", "restartPolicy")).isEqualTo("Never");
    assertThat((Integer) at(job, "spec", "activeDeadlineSeconds")).isPositive();

    // The service's settings, as another user: the migrating user's Secret, which the service's
    // pods never read.
    var jobEnvironment = environment(migration);
    var known = new LinkedHashSet<>(ServiceFacts.variablesTheServiceReads());
    known.addAll(ServiceFacts.documentedVariables("docs/operations.md", "Logs"));
    assertThat(known).containsAll(jobEnvironment.keySet());
    assertThat(jobEnvironment.get("DB_HOST")).isEqualTo(environment().get("DB_HOST"));
    List<Map<String, Object>> variables = at(migration, "env");
    var userSecrets = new LinkedHashSet<String>();
    for (var variable : variables) {
      if (List.of("DB_USER", "DB_PASSWORD").contains(variable.get("name"))) {
        String secretName = at(variable, "valueFrom", "secretKeyRef", "name");
        String key = at(variable, "valueFrom", "secretKeyRef", "key");
        Map<String, Object> secretData = at(named(objects, "Secret", secretName), "stringData");
        assertThat(secretData).containsKey(key);
        userSecrets.add(secretName);
      }
    }
    assertThat(userSecrets).hasSize(1);
    var migrationSecret = userSecrets.iterator().next();
    assertThat(String.valueOf((Object) at(only(objects, "Deployment"), "spec", "template")))
        .as("the service's pods never see the migrating user's Secret")
        .doesNotContain(migrationSecret);

    // Its pod is no pod of the service: neither the Service nor the budget selects it.
    Map<String, String> jobLabels = at(job, "spec", "template", "metadata", "labels");
    Map<String, String> serviceSelector = at(only(objects, "Service"), "spec", "selector");
    Map<String, String> budgetSelector =
        at(only(objects, "PodDisruptionBudget"), "spec", "selector", "matchLabels");
    for (var selector : List.of(serviceSelector, budgetSelector)) {
      assertThat(selector.entrySet()).as("selected by " + selector).isNotEmpty();
      assertThat(jobLabels.entrySet().containsAll(selector.entrySet())).isFalse();
    }
  }
}
