package io.labsos.statusstream.health.boundary;

import io.labsos.statusstream.Endpoints;
import io.labsos.statusstream.access.control.AccessSettings;
import io.labsos.statusstream.events.control.ChangeListener;
import io.labsos.statusstream.events.control.EventSettings;
import io.labsos.statusstream.schema.control.Database;
import io.labsos.statusstream.schema.control.SchemaMigration;
import io.labsos.statusstream.stream.control.StreamSettings;
import io.labsos.statusstream.tls.control.HttpsPort;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready: the configuration is usable (a token issuer and key, well-formed origins, both TLS files
 * or neither, the database's TLS settings, SCHEMA_MIGRATION, the settings of the streams and of the
 * events), the database answers, the schema is current (migrated, found current, or not checked by
 * choice), the listener is connected and caught up, and HTTPS, when configured, answers on its
 * port. Anyone who can reach the management port reads this, so every value is a fixed text: never
 * a driver's message (it names hosts, users and databases), never a setting's value. The log has
 * the details.
 */
@Readiness
@ApplicationScoped
public class ReadinessCheck implements HealthCheck {

  @Resource(lookup = "jdbc/statusStream")
  DataSource pool;

  @Inject SchemaMigration schema;

  /** The longest a readiness check waits for the database's answer. */
  private static final int PROBE_SECONDS = 3;

  @Resource ManagedExecutorService executor;

  private final AtomicReference<CompletableFuture<String>> probe = new AtomicReference<>();

  @Inject ChangeListener listener;
  @Inject AccessSettings access;
  @Inject HttpsPort https;
  @Inject Database databaseSettings;
  @Inject StreamSettings streamSettings;
  @Inject EventSettings eventSettings;
  @Inject Endpoints endpoints;

  @Override
  public HealthCheckResponse call() {
    var problems = new ArrayList<>(access.problems());
    problems.addAll(https.problems());
    databaseSettings.problem().ifPresent(problems::add);
    schema.problem().ifPresent(problems::add);
    problems.addAll(streamSettings.problems());
    problems.addAll(eventSettings.problems());
    problems.addAll(endpoints.problems());
    String database = databaseState();
    var response =
        HealthCheckResponse.named("status-stream")
            .withData("configuration", problems.isEmpty() ? "valid" : String.join("; ", problems))
            .withData("database", database)
            .withData("schema", schema.state())
            .withData(
                "listener",
                listener.isConnected() ? "connected" : listener.problem().orElse("not connected"));
    https.state().ifPresent(state -> response.withData("https", state));
    boolean up =
        problems.isEmpty()
            && "reachable".equals(database)
            && schema.isCurrent()
            && listener.isConnected()
            && https.ready();
    return response.status(up).build();
  }

  /**
   * The database's state, within {@value #PROBE_SECONDS} s whatever the database does: the pool
   * validates each idle connection it hands out (2 s each), so on a dead network path one probe can
   * take tens of seconds, far longer than a probe of the orchestrator waits. At most one probe runs
   * at a time; a check that finds one running waits for it, up to the same bound.
   */
  private String databaseState() {
    var current = probe.get();
    if (current == null || current.isDone()) {
      var next = new CompletableFuture<String>();
      if (probe.compareAndSet(current, next)) {
        try {
          executor.execute(() -> next.complete(probeDatabase()));
        } catch (RejectedExecutionException e) {
          next.complete("unreachable");
        }
      }
      current = probe.get();
    }
    try {
      return current.get(PROBE_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      return "unreachable: no answer in " + PROBE_SECONDS + " s";
    } catch (ExecutionException e) {
      return "unreachable";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unreachable";
    }
  }

  /** What the database's answer means, by SQLSTATE class; never its text. */
  private String probeDatabase() {
    try (var connection = pool.getConnection()) {
      return connection.isValid(2) ? "reachable" : "unreachable: no answer in 2 s";
    } catch (SQLException e) {
      var state = e.getSQLState() == null ? "" : e.getSQLState();
      if (state.startsWith("28")) {
        return "unreachable: login refused";
      }
      if (state.equals("3D000")) {
        return "unreachable: no such database";
      }
      if (state.startsWith("53")) {
        return "unreachable: out of connections or resources";
      }
      if (state.startsWith("57P")) {
        return "unreachable: shutting down or not accepting connections";
      }
      return "unreachable";
    }
  }
}
