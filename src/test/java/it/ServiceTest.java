package it;

import static org.awaitility.Awaitility.await;

import java.net.URL;
import java.time.Duration;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An integration test against the deployed service, over HTTP, once it reports ready. Each test
 * makes its own projects and users, so tests run in any order, and the classes of an execution
 * share one deployment ({@link SharedDeployment}).
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
public abstract class ServiceTest {

  @Deployment(testable = false)
  public static WebArchive app() {
    return Deployments.war();
  }

  /**
   * The service's root. Not injected by Arquillian: the classes share one deployment ({@link
   * SharedDeployment}), and a class whose deployment was skipped gets no address from it.
   */
  protected final URL base = Api.root();

  @BeforeEach
  void awaitReady() {
    var ready = Api.management("/health/ready");
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> Http.get(ready).statusCode() == 200);
  }
}
