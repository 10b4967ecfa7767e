package io.labsos.statusstream.health.boundary;

import io.labsos.statusstream.events.control.ChangeListener;
import io.labsos.statusstream.schema.control.SchemaMigration;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready: the database answers, the schema is migrated, the listener is connected and caught up. */
@Readiness
@ApplicationScoped
public class ReadinessCheck implements HealthCheck {

  @Resource(lookup = "jdbc/statusStream")
  DataSource pool;

  @Inject SchemaMigration schema;
  @Inject ChangeListener listener;

  @Override
  public HealthCheckResponse call() {
    var response = HealthCheckResponse.named("status-stream");
    String database = databaseState();
    response
        .withData("database", database)
        .withData("schema", schema.isMigrated() ? "migrated" : "not migrated")
        .withData("listener", listener.isConnected() ? "connected" : listener.lastFailure());
    boolean up = "reachable".equals(database) && schema.isMigrated() && listener.isConnected();
    return response.status(up).build();
  }

  private String databaseState() {
    try (var connection = pool.getConnection()) {
      return connection.isValid(2) ? "reachable" : "unreachable: no answer in 2 s";
    } catch (SQLException e) {
      return "unreachable: " + e.getMessage();
    }
  }
}
