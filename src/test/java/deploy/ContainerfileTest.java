package deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/**
 * The Containerfile follows the Open Liberty image's documented layout and copies what the build
 * really makes. No container engine here: the file is read, not built.
 */
class ContainerfileTest {

  private static final Pattern IMAGE =
      Pattern.compile(
          "icr\\.io/appcafe/open-liberty:([0-9.]+)-(kernel-slim|full)-java([0-9]+)-openj9-ubi.*");

  private static List<String> instructions;
  private static Document pom;

  @BeforeAll
  static void read() throws Exception {
    instructions = instructions(Manifests.read(Path.of("Containerfile")));
    var factory = DocumentBuilderFactory.newInstance();
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    pom = factory.newDocumentBuilder().parse(Path.of("pom.xml").toFile());
  }

  /** One entry per instruction: comments dropped, continued lines joined. */
  private static List<String> instructions(String text) {
    var result = new ArrayList<String>();
    var current = new StringBuilder();
    for (var line : text.split("\n")) {
      if (line.isBlank() || line.stripLeading().startsWith("#")) {
        continue;
      }
      if (line.endsWith("\\")) {
        current.append(line, 0, line.length() - 1).append(' ');
      } else {
        result.add(current.append(line).toString().trim());
        current.setLength(0);
      }
    }
    return result;
  }

  private static String pomValue(String tag) {
    return pom.getElementsByTagName(tag).item(0).getTextContent().trim();
  }

  private int indexOf(String prefix) {
    for (int i = 0; i < instructions.size(); i++) {
      if (instructions.get(i).startsWith(prefix)) {
        return i;
      }
    }
    throw new AssertionError("no instruction " + prefix);
  }

  private List<String> copies() {
    return instructions.stream().filter(i -> i.startsWith("COPY ")).toList();
  }

  @Test
  void buildsOnTheOpenLibertyImageOfTheVersionTheBuildUses() {
    var argument =
        instructions.stream()
            .filter(i -> i.startsWith("ARG LIBERTY_IMAGE="))
            .findFirst()
            .orElseThrow();
    assertThat(instructions).contains("FROM ${LIBERTY_IMAGE}");
    var image = IMAGE.matcher(argument.substring("ARG LIBERTY_IMAGE=".length()));
    assertThat(image.matches()).as(argument).isTrue();
    assertThat(image.group(1)).isEqualTo(pomValue("liberty.runtime.version"));
    assertThat(Integer.parseInt(image.group(3)))
        .isGreaterThanOrEqualTo(Integer.parseInt(pomValue("maven.compiler.release")));
  }

  @Test
  void everyCopyBelongsToTheImagesUserAndGroupZero() {
    assertThat(copies()).isNotEmpty().allMatch(c -> c.startsWith("COPY --chown=1001:0 "));
  }

  @Test
  void copiesTheServerConfigurationThenInstallsItsFeatures() throws IOException {
    assertThat(copies()).contains("COPY --chown=1001:0 server.xml /config/");
    var liberty = copies().stream().filter(c -> c.contains(" liberty/")).findFirst().orElseThrow();
    assertThat(liberty).endsWith(" /config/");
    try (Stream<Path> files = Files.list(Path.of("liberty"))) {
      for (var file : files.toList()) {
        assertThat(liberty).as("copies " + file).contains(" liberty/" + file.getFileName() + " ");
      }
    }
    int features = indexOf("RUN features.sh");
    assertThat(features)
        .isGreaterThan(instructions.indexOf("COPY --chown=1001:0 server.xml /config/"));
    assertThat(features).isGreaterThan(instructions.indexOf(liberty));
  }

  @Test
  void copiesTheDriverWhereServerXmlLooksAndTheApplication() {
    // server.xml: <fileset dir="${server.config.dir}/lib" includes="postgresql-*.jar"/>
    assertThat(Manifests.read(Path.of("server.xml")))
        .contains("<fileset dir=\"${server.config.dir}/lib\" includes=\"postgresql-*.jar\"/>");
    // The Liberty Maven plugin copies the driver into its server's lib folder (copyDependencies).
    var server = pomValue("serverName");
    var driver =
        "COPY --chown=1001:0 target/liberty/wlp/usr/servers/"
            + server
            + "/lib/postgresql-*.jar /config/lib/";
    var war = "COPY --chown=1001:0 target/" + pomValue("finalName") + ".war /config/dropins/";
    assertThat(copies()).contains(driver, war);
    int features = indexOf("RUN features.sh");
    int configure = indexOf("RUN configure.sh");
    assertThat(instructions.indexOf(war)).isBetween(features, configure);
    assertThat(instructions.indexOf(driver)).isBetween(features, configure);
    assertThat(instructions.stream().filter(i -> i.startsWith("RUN ")).toList())
        .last()
        .isEqualTo("RUN configure.sh");
  }

  @Test
  void theBuildContextHoldsWhatIsCopiedAndNothingElse() {
    var ignore = Manifests.read(Path.of(".dockerignore")).lines().map(String::trim).toList();
    assertThat(ignore).contains("*");
    for (var copy : copies()) {
      var words = copy.split("\\s+");
      for (int i = 2; i < words.length - 1; i++) {
        var source = words[i];
        var included =
            ignore.stream()
                .filter(l -> l.startsWith("!"))
                .map(l -> l.substring(1))
                .anyMatch(l -> l.equals(source) || (l.endsWith("/") && source.startsWith(l)));
        assertThat(included).as(source + " in the build context (.dockerignore)").isTrue();
      }
    }
  }

  @Test
  void runsTheServerWithTheOpenFileLimitRaised() {
    var command = instructions.stream().filter(i -> i.startsWith("CMD ")).findFirst().orElseThrow();
    assertThat(command)
        .contains("ulimit -n")
        .contains("exec /opt/ol/wlp/bin/server run defaultServer");
  }
}
