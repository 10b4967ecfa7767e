package it;

import java.lang.reflect.Method;
import org.jboss.arquillian.container.spi.Container;
import org.jboss.arquillian.container.spi.ContainerRegistry;
import org.jboss.arquillian.container.spi.client.deployment.DeploymentDescription;
import org.jboss.arquillian.container.spi.client.deployment.DeploymentScenario;
import org.jboss.arquillian.container.spi.event.DeployManagedDeployments;
import org.jboss.arquillian.container.spi.event.StopSuiteContainers;
import org.jboss.arquillian.container.spi.event.UnDeployManagedDeployments;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.core.api.Instance;
import org.jboss.arquillian.core.api.annotation.Inject;
import org.jboss.arquillian.core.api.annotation.Observes;
import org.jboss.arquillian.core.spi.EventContext;
import org.jboss.arquillian.core.spi.LoadableExtension;
import org.jboss.arquillian.test.spi.TestClass;

/**
 * One deployment of the service for every {@link ServiceTest} of a failsafe execution, instead of
 * one per test class: Arquillian undeploys and deploys the same archive between classes otherwise
 * (about 4 s each, some fifty times a run). A class with a deployment of its own (an extra
 * observer, a test page) still gets it: the shared one is undeployed first, and deployed again for
 * the next class that shares it. The shared one is undeployed before the server stops, so the next
 * execution's server starts without it.
 *
 * <p>The tests are written for this: each makes its own projects and users, and reads metrics as
 * differences.
 */
public final class SharedDeployment implements LoadableExtension {

  @Override
  public void register(ExtensionBuilder builder) {
    builder.observer(Keeper.class);
  }

  /** Skips the undeploy and deploy of the shared archive between the classes that share it. */
  public static final class Keeper {

    @Inject private Instance<TestClass> testClass;
    @Inject private Instance<DeploymentScenario> scenario;
    @Inject private Instance<ContainerRegistry> registry;

    /** The shared archive while it is deployed, and where. */
    private static DeploymentDescription deployed;

    private static Container container;

    public void deploy(@Observes EventContext<DeployManagedDeployments> context) throws Exception {
      if (!sharesTheDeployment()) {
        undeployShared();
        context.proceed();
        return;
      }
      if (deployed != null) {
        return;
      }
      context.proceed();
      var deployment = scenario.get().deployments().iterator().next();
      deployed = deployment.getDescription();
      container = registry.get().getContainer(deployed.getTarget());
    }

    public void undeploy(@Observes EventContext<UnDeployManagedDeployments> context) {
      if (!sharesTheDeployment()) {
        context.proceed();
      }
    }

    public void stop(@Observes EventContext<StopSuiteContainers> context) throws Exception {
      undeployShared();
      context.proceed();
    }

    private static void undeployShared() throws Exception {
      if (deployed != null) {
        container.getDeployableContainer().undeploy(deployed.getArchive());
        deployed = null;
        container = null;
      }
    }

    /** Whether the class's deployment is ServiceTest's own, unchanged. */
    private boolean sharesTheDeployment() {
      var current = testClass.get();
      if (current == null || !ServiceTest.class.isAssignableFrom(current.getJavaClass())) {
        return false;
      }
      for (Method method : current.getMethods(Deployment.class)) {
        if (method.getDeclaringClass() != ServiceTest.class) {
          return false;
        }
      }
      return true;
    }
  }
}
